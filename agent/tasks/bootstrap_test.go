package tasks

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func bootstrapNode(b *seiv1alpha1.BootstrapSpec) *seiv1alpha1.SeiNode {
	return &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
		Spec:       seiv1alpha1.SeiNodeSpec{FullNode: &seiv1alpha1.FullNodeSpec{Bootstrap: b}},
	}
}

func TestConfigureStateSyncParamsFollowTheBootstrap(t *testing.T) {
	g := NewWithT(t)
	lc := seiv1alpha1.LightClientSpec{RPCServers: []string{"a:26657", "b:443"}, TrustPeriod: &metav1.Duration{Duration: 48 * time.Hour}}

	raw, err := sidecarParams(&Env{Node: bootstrapNode(&seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{LightClientSpec: lc}})}, sidecar.TaskTypeConfigureStateSync)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"rpcServers": ["a:26657", "b:443"], "trustPeriod": "48h0m0s"}`))

	// After a snapshot restore, seid state-syncs from the local snapshot.
	snap := &seiv1alpha1.SnapshotBootstrap{S3: seiv1alpha1.S3Source{Bucket: "snaps", Region: "us-east-1"}, TargetHeight: 100, LightClientSpec: lc}
	node := bootstrapNode(&seiv1alpha1.BootstrapSpec{Snapshot: snap})
	raw, err = sidecarParams(&Env{Node: node}, sidecar.TaskTypeConfigureStateSync)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"useLocalSnapshot": true, "rpcServers": ["a:26657", "b:443"], "trustPeriod": "48h0m0s"}`))
	raw, err = sidecarParams(&Env{Node: node}, sidecar.TaskTypeSnapshotRestore)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"targetHeight": 100}`))

	// No witnesses named: the sidecar derives them from the persistent peers.
	raw, err = sidecarParams(&Env{Node: bootstrapNode(&seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{}})}, sidecar.TaskTypeConfigureStateSync)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{}`))

	// The spec lost its bootstrap under a running plan: nothing is sent.
	_, err = sidecarParams(&Env{Node: bootstrapNode(nil)}, sidecar.TaskTypeConfigureStateSync)
	g.Expect(err).To(MatchError(ContainSubstring("no fullNode.bootstrap")))
	_, err = sidecarParams(&Env{Node: bootstrapNode(&seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{}})}, sidecar.TaskTypeSnapshotRestore)
	g.Expect(err).To(MatchError(ContainSubstring("no fullNode.bootstrap.snapshot")))
}

func TestServeStateSyncSetsTheSnapshotKeys(t *testing.T) {
	g := NewWithT(t)
	node := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
		Spec: seiv1alpha1.SeiNodeSpec{Validator: &seiv1alpha1.ValidatorSpec{}, NodeSettings: seiv1alpha1.NodeSettings{
			Overrides:      map[string]string{"logging.level": "debug"},
			ServeStateSync: &seiv1alpha1.ServeStateSyncSpec{SnapshotInterval: 10},
		}},
	}
	raw, err := sidecarParams(&Env{Node: node}, sidecar.TaskTypeConfigApply)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"mode": "validator", "overrides": {
		"logging.level": "debug", "storage.snapshot_interval": "10", "storage.snapshot_keep_recent": "2",
		"storage.state_store.enable": "true"}}`))
	g.Expect(node.Spec.Overrides).To(HaveLen(1), "the spec's map is not written to")
}
