package resources

import (
	"fmt"
	"net"
	"strconv"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Ports seid listens on, as seid's default configuration and sei-config set them.
const (
	PortP2P     = 26656
	PortRPC     = 26657
	PortREST    = 1317
	PortGRPC    = 9090
	PortEVMRPC  = 8545
	PortEVMWS   = 8546
	PortMetrics = 26660
)

// Port names, on the seid container and on the Services. Container port names are IANA service
// names: at most 15 characters.
const (
	PortNameP2P     = "p2p"
	PortNameRPC     = "rpc"
	PortNameREST    = "rest"
	PortNameGRPC    = "grpc"
	PortNameEVMRPC  = "evm-rpc"
	PortNameEVMWS   = "evm-ws"
	PortNameMetrics = "metrics"
	PortNameSidecar = "sidecar"
)

// Keys inside the key Secrets and the genesis ConfigMap.
const (
	SecretKeyNodeKey    = "node_key.json"
	SecretKeySigningKey = "priv_validator_key.json"
	SecretKeyMnemonic   = "mnemonic"
	ConfigMapKeyGenesis = "genesis.json"
)

// Names are the names of a node's objects, all in the node's namespace.
type Names struct {
	StatefulSet     string
	HeadlessService string
	P2PService      string
	DataPVC         string
	Pod             string
	Keys            KeySecrets
}

// KeySecrets name the Secrets holding a node's keys. An empty name means the node has no such key.
type KeySecrets struct {
	// NodeKey holds node_key.json, the P2P identity. Every node has one.
	NodeKey string
	// SigningKey holds priv_validator_key.json, the consensus key. Validators only.
	SigningKey string
	// OperatorKey holds the operator key's BIP-39 mnemonic under "mnemonic". Validators only, and
	// optional for a validator whose keys already exist.
	OperatorKey string
}

// NamesFor returns the names of node's objects.
func NamesFor(node *seiv1alpha1.SeiNode) Names {
	return Names{
		StatefulSet:     StatefulSetName(node),
		HeadlessService: HeadlessServiceName(node),
		P2PService:      P2PServiceName(node),
		DataPVC:         DataPVCName(node),
		Pod:             PodName(node),
		Keys:            KeySecretNames(node),
	}
}

// StatefulSetName is the node's name: the StatefulSet is the node.
func StatefulSetName(node *seiv1alpha1.SeiNode) string { return node.Name }

// HeadlessServiceName is the node's name: the StatefulSet's serviceName, which gives the pod the DNS
// name <pod>.<node>.<namespace>.svc.
func HeadlessServiceName(node *seiv1alpha1.SeiNode) string { return node.Name }

// P2PServiceName is the Service peers in other clusters dial.
func P2PServiceName(node *seiv1alpha1.SeiNode) string { return node.Name + "-p2p" }

// DataPVCName is the claim holding seid's home. It is the name a volumeClaimTemplate named "data"
// would give, so tooling that expects that convention finds it.
func DataPVCName(node *seiv1alpha1.SeiNode) string { return "data-" + node.Name }

// PodName is the StatefulSet's only pod.
func PodName(node *seiv1alpha1.SeiNode) string { return node.Name + "-0" }

// KeySecretNames returns the Secrets holding node's keys: those spec.validator.identity names for a
// validator whose keys exist, else the ones the agent mints (<node>-node-key, and for validators
// <node>-signing-key and <node>-operator-key).
func KeySecretNames(node *seiv1alpha1.SeiNode) KeySecrets {
	minted := KeySecrets{NodeKey: node.Name + "-node-key"}
	v := node.Spec.Validator
	if v == nil {
		return minted
	}
	if v.Identity.Mint {
		minted.SigningKey = node.Name + "-signing-key"
		minted.OperatorKey = node.Name + "-operator-key"
		return minted
	}
	return KeySecrets{
		NodeKey:     v.Identity.NodeKeySecret,
		SigningKey:  v.Identity.SigningKeySecret,
		OperatorKey: v.Identity.OperatorKeySecret,
	}
}

// SidecarPort is the port of node's sidecar: spec.sidecar.port, else the configuration's.
func SidecarPort(node *seiv1alpha1.SeiNode, cfg *config.Config) int32 {
	if s := node.Spec.Sidecar; s != nil && s.Port != 0 {
		return s.Port
	}
	if cfg == nil {
		return config.DefaultSidecarPort
	}
	return cfg.Sidecar.Port
}

// SidecarURL is the base URL the agent calls node's sidecar at: the pod's stable DNS name through the
// headless Service, which publishes the pod before it is ready (the sidecar must be reachable while
// seid still waits for it).
func SidecarURL(node *seiv1alpha1.SeiNode, cfg *config.Config) string {
	return SidecarURLAt(PodDNSName(node, cfg), node, cfg)
}

// SidecarURLAt is the base URL of node's sidecar on host (the pod's DNS name or address).
func SidecarURLAt(host string, node *seiv1alpha1.SeiNode, cfg *config.Config) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(int(SidecarPort(node, cfg))))
}

// RPCURL is the base URL of node's seid RPC (Tendermint), through the headless Service.
func RPCURL(node *seiv1alpha1.SeiNode, cfg *config.Config) string {
	return RPCURLAt(PodDNSName(node, cfg))
}

// RPCURLAt is the base URL of node's seid RPC on host (the pod's DNS name or address).
func RPCURLAt(host string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(PortRPC))
}

// PodDNSName is the name of node's pod in its headless Service.
func PodDNSName(node *seiv1alpha1.SeiNode, cfg *config.Config) string {
	domain := config.DefaultClusterDomain
	if cfg != nil && cfg.ClusterDomain != "" {
		domain = cfg.ClusterDomain
	}
	return fmt.Sprintf("%s.%s.%s.svc.%s", PodName(node), HeadlessServiceName(node), node.Namespace, domain)
}
