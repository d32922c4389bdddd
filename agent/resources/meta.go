package resources

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// Labels every object carries besides the sei.io/ ones.
const (
	LabelAppName   = "app.kubernetes.io/name"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	AppName        = "seid"
	ManagedBy      = "sei-fleet-agent"
)

// Component values (sei.io/component) telling a node's objects apart where kind alone does not.
const (
	ComponentData = "data"
	ComponentP2P  = "p2p"
)

// maxNodeNameLength: a StatefulSet labels its pods controller-revision-hash=<name>-<hash of up to 10
// characters>, and a label value holds 63, so a longer name yields a StatefulSet that never makes a pod.
const maxNodeNameLength = 52

// Labels are the labels of every object of node: which node, chain and role it belongs to, and the
// deployment and cluster the hub recorded on the node, so one selector finds a node's objects and one
// finds a deployment's across the fleet.
func Labels(node *seiv1alpha1.SeiNode) map[string]string {
	l := map[string]string{
		seiv1alpha1.LabelNode:  node.Name,
		seiv1alpha1.LabelChain: node.Spec.ChainID,
		seiv1alpha1.LabelRole:  string(node.Spec.Mode()),
		LabelAppName:           AppName,
		LabelManagedBy:         ManagedBy,
	}
	for _, key := range []string{seiv1alpha1.LabelDeployment, seiv1alpha1.LabelCluster} {
		if v := node.Labels[key]; v != "" {
			l[key] = v
		}
	}
	return l
}

// SelectorLabels select node's pod. Only the node's name: a StatefulSet's selector is immutable, so
// it must not include anything that could ever change (role, deployment, cluster).
func SelectorLabels(node *seiv1alpha1.SeiNode) map[string]string {
	return map[string]string{seiv1alpha1.LabelNode: node.Name}
}

// podLabels are spec.podLabels under Labels. Keys under sei.io/ are dropped (the fleet owns that
// prefix and the API rejects them), and Labels win over any other collision, so a user label can never
// move a pod out of its Services' selectors.
func podLabels(node *seiv1alpha1.SeiNode) map[string]string {
	l := map[string]string{}
	for k, v := range node.Spec.PodLabels {
		if !strings.HasPrefix(k, "sei.io/") {
			l[k] = v
		}
	}
	for k, v := range Labels(node) {
		l[k] = v
	}
	return l
}

// objectMeta names an object of node, labels it and makes the SeiNode its controller, so deleting
// the SeiNode collects it and the agent is woken when it changes.
func objectMeta(node *seiv1alpha1.SeiNode, name string, extra map[string]string) metav1.ObjectMeta {
	labels := Labels(node)
	for k, v := range extra {
		labels[k] = v
	}
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       node.Namespace,
		Labels:          labels,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(node, seiv1alpha1.GroupVersion.WithKind("SeiNode"))},
	}
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkInput refuses a node the builders cannot render into objects that would run, with every
// problem named by its field. The API's CEL rules catch most of these at admission; the builders check
// again because a member copy is written by the hub, and a wrong object is worse than none.
func checkInput(node *seiv1alpha1.SeiNode, cfg *config.Config) error {
	if node == nil {
		return errors.New("render node objects: no SeiNode")
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if cfg == nil {
		add("no agent configuration")
	}
	if msgs := validation.IsDNS1035Label(node.Name); len(msgs) > 0 || len(node.Name) > maxNodeNameLength {
		add("metadata.name %q must be a DNS-1035 label (a lower-case letter first) of at most %d characters: "+
			"it names Services and the StatefulSet", node.Name, maxNodeNameLength)
	}
	if node.Namespace == "" {
		add("metadata.namespace: required")
	}
	if node.UID == "" {
		add("metadata.uid: required to own objects; render from the stored SeiNode")
	}
	if msgs := validation.IsDNS1123Label(node.Spec.ChainID); len(msgs) > 0 {
		add("spec.chainId %q: %s", node.Spec.ChainID, msgs[0])
	}
	if node.Spec.Image == "" || strings.ContainsAny(node.Spec.Image, " \t\n") {
		add("spec.image %q: required, without spaces", node.Spec.Image)
	}
	errs = append(errs, checkMode(node)...)
	if g := node.Spec.Genesis; g != nil {
		if g.ConfigMapName == "" {
			add("spec.genesis.configMapName: required")
		}
		if !sha256Hex.MatchString(g.SHA256) {
			add("spec.genesis.sha256 %q: must be 64 lower-case hex digits", g.SHA256)
		}
	}
	if s := node.Spec.Sidecar; s != nil && s.Port != 0 {
		if s.Port < 1024 || s.Port > 65535 {
			add("spec.sidecar.port %d: must be between 1024 and 65535", s.Port)
		} else if name := seidPortName(s.Port); name != "" {
			add("spec.sidecar.port %d: is seid's %s port", s.Port, name)
		}
	}
	if p := node.Spec.P2P; p != nil && p.ServiceType != "" &&
		p.ServiceType != seiv1alpha1.P2PLoadBalancer && p.ServiceType != seiv1alpha1.P2PNodePort {
		add("spec.p2p.serviceType %q: must be LoadBalancer or NodePort", p.ServiceType)
	}
	if d := node.Spec.DataVolume; d != nil && d.Size != nil && d.Size.Sign() <= 0 {
		add("spec.dataVolume.size %s: must be greater than zero", d.Size.String())
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("render objects of SeiNode %s/%s: %w", node.Namespace, node.Name, aggregate.Join(errs...))
}

// checkMode insists on exactly one mode and, for a validator, on keys the pod can mount.
func checkMode(node *seiv1alpha1.SeiNode) []error {
	s := &node.Spec
	set := 0
	for _, present := range []bool{s.FullNode != nil, s.Archive != nil, s.Seed != nil, s.Validator != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		return []error{fmt.Errorf("spec: exactly one of fullNode, archive, seed and validator must be set, found %d", set)}
	}
	if s.Validator == nil {
		return nil
	}
	id := s.Validator.Identity
	switch {
	case id.Mint && (id.SigningKeySecret != "" || id.NodeKeySecret != "" || id.OperatorKeySecret != ""):
		return []error{errors.New("spec.validator.identity: mint: true and existing key Secrets exclude each other")}
	case !id.Mint && (id.SigningKeySecret == "" || id.NodeKeySecret == ""):
		return []error{errors.New("spec.validator.identity: needs mint: true, or both signingKeySecret and nodeKeySecret")}
	}
	return nil
}
