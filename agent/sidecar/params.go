package sidecar

// Parameter bodies of the tasks the agent sends. Field names and types follow
// the structs seictl's handlers decode into (sidecar/tasks and sei-config's
// ConfigIntent). The sidecar decodes with encoding/json, so unknown fields are
// ignored and a wrong type fails the task with "parsing params: ...".

// Node modes accepted by ConfigIntent.Mode (sei-config NodeMode).
const (
	ModeValidator = "validator"
	ModeFull      = "full"
	ModeSeed      = "seed"
	ModeArchive   = "archive"
	ModeRPC       = "rpc"
	ModeIndexer   = "indexer"
)

// ConfigIntent is the config-apply parameter body: sei-config resolves it to
// config.toml and app.toml on the node.
type ConfigIntent struct {
	// Mode selects the defaults; required unless Incremental is set.
	Mode string `json:"mode,omitempty"`
	// Overrides maps dotted sei-config keys (e.g. "network.p2p.persistent_peers")
	// to string values; numbers and booleans are written as strings too.
	Overrides map[string]string `json:"overrides,omitempty"`
	// TargetVersion is the config schema version; 0 means the sidecar's latest.
	TargetVersion int `json:"targetVersion,omitempty"`
	// Incremental patches the config on disk instead of regenerating it.
	Incremental bool `json:"incremental,omitempty"`
}

// ConfigPatchParams is the config-patch parameter body: a TOML merge-patch per
// file under $SEI_HOME/config, e.g.
// {"config.toml": {"p2p": {"external-address": "1.2.3.4:26656"}}}.
// The sidecar fails the task when Files is empty.
type ConfigPatchParams struct {
	Files map[string]map[string]any `json:"files"`
}

// AwaitConditionParams is the await-condition parameter body: the task polls the node's own RPC
// (every 100 ms) until the condition holds, then runs Action if any.
type AwaitConditionParams struct {
	// Condition is "height" or "catchingUp".
	Condition string `json:"condition"`
	// TargetHeight is the height to reach for "height".
	TargetHeight int64 `json:"targetHeight,omitempty"`
	// Action is "" or "SIGTERM_SEID".
	Action string `json:"action,omitempty"`
}

// Conditions of AwaitConditionParams.
const (
	ConditionHeight     = "height"
	ConditionCatchingUp = "catchingUp"
)

// ConfigureGenesisParams is the configure-genesis parameter body.
type ConfigureGenesisParams struct {
	// ExpectedGenesisHash is the bare lower-case hex SHA-256 of genesis.json
	// (no "sha256:" prefix). When set the sidecar refuses a genesis that does
	// not match; when empty nothing is verified.
	ExpectedGenesisHash string `json:"expectedGenesisHash,omitempty"`
}

// ConfigureStateSyncParams is the configure-state-sync parameter body.
type ConfigureStateSyncParams struct {
	UseLocalSnapshot bool   `json:"useLocalSnapshot,omitempty"`
	TrustPeriod      string `json:"trustPeriod,omitempty"`
	BackfillBlocks   int64  `json:"backfillBlocks,omitempty"`
	// RPCServers are light-client witnesses as "host:port"; when empty the
	// sidecar derives them from persistent peers.
	RPCServers []string `json:"rpcServers,omitempty"`
}

// SnapshotRestoreParams is the snapshot-restore parameter body.
type SnapshotRestoreParams struct {
	// TargetHeight picks the newest snapshot at or below it; 0 means latest.
	TargetHeight int64 `json:"targetHeight,omitempty"`
}

// ConfigReloadParams is the config-reload parameter body: hot-reloadable
// fields to patch before seid is signalled to re-read its config.
type ConfigReloadParams struct {
	Fields map[string]string `json:"fields"`
}
