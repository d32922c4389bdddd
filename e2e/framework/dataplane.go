package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/dataplane/members"
	"github.com/sei-protocol/sei-fleet/dataplane/seiimages"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// DataPlaneOptions describe a fleet's real data plane.
type DataPlaneOptions struct {
	// Dir holds the nodes' state, logs and the image tarballs.
	Dir string
	// BinDir has the Kubernetes node binaries (hack/install-k8s-test-bins.sh with NODE_BINS=1).
	BinDir string
	// SeidBin and SeictlBin are the real binaries (hack/install-seid.sh, hack/install-seictl.sh).
	SeidBin, SeictlBin string
	// SeidTags are the tags the seid binary is packed under (several, for rollouts); default "dev".
	SeidTags []string
}

// DataPlane is every member's real nodes, with seid and seictl images loaded into each.
type DataPlane struct {
	*members.DataPlane
	// Seid maps each of DataPlaneOptions.SeidTags to its image name.
	Seid map[string]string
	// Seictl is the sidecar image's name.
	Seictl string
}

// StartDataPlane packs seid and seictl as images and starts a node for every member of f, with the
// images loaded.
func StartDataPlane(ctx context.Context, f *testfleet.Fleet, o DataPlaneOptions) (*DataPlane, error) {
	tags := o.SeidTags
	if len(tags) == 0 {
		tags = []string{"dev"}
	}
	imageDir := filepath.Join(o.Dir, "images")
	if err := os.MkdirAll(imageDir, 0o755); err != nil {
		return nil, err
	}
	d := &DataPlane{Seid: map[string]string{}}
	var tarballs []string
	for _, tag := range tags {
		img, err := seiimages.Seid(o.SeidBin, tag, filepath.Join(imageDir, "seid-"+tag+".tar"))
		if err != nil {
			return nil, err
		}
		d.Seid[tag] = img.Name
		tarballs = append(tarballs, img.Path)
	}
	sidecar, err := seiimages.Seictl(o.SeictlBin, "dev", filepath.Join(imageDir, "seictl.tar"))
	if err != nil {
		return nil, err
	}
	d.Seictl = sidecar.Name
	tarballs = append(tarballs, sidecar.Path)

	ms := make([]members.Member, 0, len(f.Members))
	for _, m := range f.Members {
		ms = append(ms, members.Member{Name: m.Name, Kubeconfig: m.Kubeconfig})
	}
	dp, err := members.Start(ctx, members.Options{Members: ms, Dir: filepath.Join(o.Dir, "members"), BinDir: o.BinDir, Images: tarballs})
	if err != nil {
		return nil, fmt.Errorf("start the data plane: %w", err)
	}
	d.DataPlane = dp
	return d, nil
}

// AgentConfig is the agent configuration for a member of this data plane: the local seictl image,
// pods reached at their addresses (the agent runs on the host, where there is no cluster DNS), P2P on
// NodePorts of the node's fabric address, and requests small enough for several seids on one node.
// The sidecar admits the host's fabric address, where the agent calls from; the data plane's bridge
// CNI does not enforce NetworkPolicies, so this only keeps the rendered policy truthful.
func (d *DataPlane) AgentConfig() *config.Config {
	c := config.Default()
	c.Images.Sidecar = d.Seictl
	c.NodeEndpoints = config.EndpointsPodIP
	// seid stops in a second or two here; the agent's fence waits a pod's grace period out after its
	// kubelet is back, so the built-in five minutes for validators would make every fence that long.
	c.Scheduling.Default.TerminationGracePeriodSeconds = ptr.To(int64(10))
	if d.DataPlane != nil && d.Fabric != nil {
		c.NetworkPolicy.SidecarFrom = []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: d.Fabric.HostIP() + "/32"}}}
	}
	c.Storage.Default.Size = ptr.To(config.NewQuantity("2Gi"))
	c.Resources.Default = config.Resources{
		Requests: config.ResourceList{corev1.ResourceCPU: config.NewQuantity("100m"), corev1.ResourceMemory: config.NewQuantity("256Mi")},
		Limits:   config.ResourceList{corev1.ResourceMemory: config.NewQuantity("4Gi")},
	}
	return c
}
