package tasks

import (
	"maps"
	"strconv"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// sei-config keys of the state-sync snapshots a node serving state sync takes (app.toml
// state-sync.snapshot-interval and snapshot-keep-recent), and of the SeiDB state store that seid
// requires for them (it panics with "SeiDB SS store needs to be enabled when snapshot interval > 0";
// sei-config turns the store off for validators and seeds).
const (
	keySnapshotInterval   = "storage.snapshot_interval"
	keySnapshotKeepRecent = "storage.snapshot_keep_recent"
	keyStateStoreEnable   = "storage.state_store.enable"
)

// bootstrapOf is the node's bootstrap, or nil.
func bootstrapOf(node *seiv1alpha1.SeiNode) *seiv1alpha1.BootstrapSpec {
	if node.Spec.FullNode == nil {
		return nil
	}
	return node.Spec.FullNode.Bootstrap
}

// stateSyncParams is the configure-state-sync body for b. seictl's task takes the trust point
// itself, from the first witness that answers its /status (about 2000 blocks below the latest block,
// or height 1), inside the pod, so the witnesses are judged from where seid will dial them. After a
// snapshot restore, the trust height is the restored snapshot's.
func stateSyncParams(b *seiv1alpha1.BootstrapSpec) sidecar.ConfigureStateSyncParams {
	var lc seiv1alpha1.LightClientSpec
	p := sidecar.ConfigureStateSyncParams{}
	switch {
	case b.StateSync != nil:
		lc = b.StateSync.LightClientSpec
	case b.Snapshot != nil:
		lc = b.Snapshot.LightClientSpec
		p.UseLocalSnapshot = true
	}
	p.RPCServers = lc.RPCServers
	if lc.TrustPeriod != nil {
		p.TrustPeriod = lc.TrustPeriod.Duration.String()
	}
	return p
}

// configOverrides are the node's sei-config overrides plus the snapshot settings of
// spec.serveStateSync (admission refuses both setting the same key).
func configOverrides(node *seiv1alpha1.SeiNode) map[string]string {
	s := node.Spec.ServeStateSync
	if s == nil {
		return node.Spec.Overrides
	}
	out := make(map[string]string, len(node.Spec.Overrides)+3)
	maps.Copy(out, node.Spec.Overrides)
	out[keySnapshotInterval] = strconv.FormatInt(s.SnapshotInterval, 10)
	keep := s.SnapshotKeepRecent
	if keep == 0 {
		keep = 2
	}
	out[keySnapshotKeepRecent] = strconv.FormatInt(int64(keep), 10)
	out[keyStateStoreEnable] = "true"
	return out
}
