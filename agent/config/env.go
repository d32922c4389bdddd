package config

// Environment variables of the seictl sidecar (seictl serve.go and sidecar/docs/authn.md).
const (
	EnvChainID     = "SEI_CHAIN_ID"
	EnvHome        = "SEI_HOME"
	EnvSidecarPort = "SEI_SIDECAR_PORT"
	// EnvAuthnMode selects the sidecar's authentication: "unauthenticated" binds all interfaces, so
	// the agent reaches it through the node's headless Service; "trusted-header" binds loopback only
	// and needs an authenticating proxy in the pod, which the agent does not run.
	EnvAuthnMode      = "SEI_SIDECAR_AUTHN_MODE"
	EnvGenesisBucket  = "SEI_GENESIS_BUCKET"
	EnvGenesisRegion  = "SEI_GENESIS_REGION"
	EnvSnapshotBucket = "SEI_SNAPSHOT_BUCKET"
	EnvSnapshotRegion = "SEI_SNAPSHOT_REGION"
)

// AuthnModeUnauthenticated is the sidecar authentication mode the agent runs: the agent calls the
// sidecar directly, so it must listen on the pod's address. Restrict who can reach the sidecar port
// with a NetworkPolicy.
const AuthnModeUnauthenticated = "unauthenticated"

// AgentSidecarEnv are set by the agent on every sidecar from the SeiNode and this configuration; a
// configuration file may not set them, or two values would compete.
var AgentSidecarEnv = []string{EnvChainID, EnvHome, EnvSidecarPort, EnvAuthnMode}

// RequiredSidecarEnv are the variables seictl refuses to start without. It only checks that they are
// set: a cluster that never uses S3 can give them any value (Default uses placeholders).
var RequiredSidecarEnv = []string{EnvGenesisBucket, EnvGenesisRegion, EnvSnapshotBucket, EnvSnapshotRegion}

// seidPorts are the ports seid listens on, which the sidecar's port must not take. They mirror the
// port constants of package resources, whose tests check that the two agree.
var seidPorts = map[int32]string{
	26656: "p2p",
	26657: "rpc",
	1317:  "rest",
	9090:  "grpc",
	8545:  "evm-rpc",
	8546:  "evm-ws",
	26660: "metrics",
}
