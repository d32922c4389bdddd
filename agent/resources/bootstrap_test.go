package resources

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// A node bootstrapping from a snapshot archive has its sidecar pointed at the archive's store; any
// other keeps the configuration's snapshot bucket.
func TestSnapshotSourceReachesTheSidecar(t *testing.T) {
	g := NewWithT(t)
	prod := prodConfig(t)
	node := newNode("rpc-0").With(func(n *seiv1alpha1.SeiNode) {
		n.Spec.FullNode.Bootstrap = &seiv1alpha1.BootstrapSpec{Snapshot: &seiv1alpha1.SnapshotBootstrap{S3: seiv1alpha1.S3Source{
			Bucket: "snaps", Region: "eu-west-1", Endpoint: "http://10.0.0.9:7070", CredentialsSecret: "s3-creds",
		}}}
	}).Build()
	sts, err := BuildStatefulSet(node, prod)
	g.Expect(err).NotTo(HaveOccurred())
	sidecar, _ := containerByName(&sts.Spec.Template.Spec, ContainerSidecar)
	env := envMap(sidecar)
	g.Expect(env).To(HaveKeyWithValue("SEI_SNAPSHOT_BUCKET", "snaps"))
	g.Expect(env).To(HaveKeyWithValue("SEI_SNAPSHOT_REGION", "eu-west-1"))
	g.Expect(env).To(HaveKeyWithValue("AWS_ENDPOINT_URL", "http://10.0.0.9:7070"))
	g.Expect(env).To(HaveKeyWithValue("SEI_GENESIS_BUCKET", "genesis-bucket"), "the rest of the configuration's environment stays")
	names := map[string]int{}
	for _, e := range sidecar.Env {
		names[e.Name]++
		if e.Name == "AWS_SECRET_ACCESS_KEY" {
			g.Expect(e.Value).To(BeEmpty(), "credentials come from the Secret, never inline")
			g.Expect(e.ValueFrom).To(Equal(&corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "s3-creds"}, Key: "AWS_SECRET_ACCESS_KEY", Optional: new(bool),
			}}))
		}
	}
	g.Expect(names).To(HaveKeyWithValue("SEI_SNAPSHOT_BUCKET", 1), "set once, replacing the configuration's")
	g.Expect(names).To(HaveKey("AWS_ACCESS_KEY_ID"))

	plain, err := BuildStatefulSet(newNode("rpc-1").Build(), prod)
	g.Expect(err).NotTo(HaveOccurred())
	sidecar, _ = containerByName(&plain.Spec.Template.Spec, ContainerSidecar)
	g.Expect(envMap(sidecar)).NotTo(HaveKey("AWS_ENDPOINT_URL"))
	g.Expect(envMap(sidecar)["SEI_SNAPSHOT_BUCKET"]).NotTo(Equal("snaps"))
}

// A node serving state sync publishes RPC on its P2P Service and lets every peer reach it.
func TestServingStateSyncPublishesRPC(t *testing.T) {
	g := NewWithT(t)
	node := newNode("val-0").MintedValidator().With(func(n *seiv1alpha1.SeiNode) {
		n.Spec.ServeStateSync = &seiv1alpha1.ServeStateSyncSpec{SnapshotInterval: 100}
	}).Build()
	svc, err := BuildP2PService(node, devConfig())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(svc.Spec.Ports).To(HaveLen(2))
	g.Expect(svc.Spec.Ports[1].Port).To(Equal(int32(PortRPC)))
	np, err := BuildNetworkPolicy(node, prodConfig(t))
	g.Expect(err).NotTo(HaveOccurred())
	open := np.Spec.Ingress[0]
	g.Expect(open.From).To(BeEmpty())
	g.Expect(open.Ports).To(HaveLen(2))
	g.Expect(open.Ports[1].Port.IntValue()).To(Equal(PortRPC))
	for _, p := range np.Spec.Ingress[1].Ports {
		g.Expect(p.Port.IntValue()).NotTo(Equal(PortRPC))
	}

	svc, err = BuildP2PService(newNode("val-1").MintedValidator().Build(), devConfig())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(svc.Spec.Ports).To(HaveLen(1), "RPC stays inside the cluster otherwise")
}
