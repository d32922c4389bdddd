package node

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// sandboxImage is containerd 1.6's default sandbox image; the node is given a local build of it.
const sandboxImage = "registry.k8s.io/pause:3.6"

// apiServerAddr is where the kubelet and kube-proxy find their apiserver inside the node: a listener
// the parent opens in the node's namespace and forwards to the real one on the host's loopback.
const apiServerAddr = "127.0.0.1:6443"

// config is what the supervisor needs; the parent hands it over as JSON.
type config struct {
	Name    string `json:"name"`
	Dir     string `json:"dir"`
	BinDir  string `json:"binDir"`
	LogDir  string `json:"logDir"`
	IP      string `json:"ip"`
	PodCIDR string `json:"podCIDR"`
	// ClusterCIDR holds every pod address on the fabric (kube-proxy masquerades traffic from outside it).
	ClusterCIDR string `json:"clusterCIDR"`
}

func (c *config) path(parts ...string) string {
	return filepath.Join(append([]string{c.Dir}, parts...)...)
}

func (c *config) socket() string         { return c.path("containerd.sock") }
func (c *config) kubeconfig() string     { return c.path("kubeconfig") }
func (c *config) containerdConf() string { return c.path("containerd.toml") }
func (c *config) kubeletConf() string    { return c.path("kubelet.yaml") }
func (c *config) proxyConf() string      { return c.path("kube-proxy.yaml") }
func (c *config) cniConfDir() string     { return c.path("cni", "net.d") }

// podLogsDir keeps the containers' logs in the node's folder: the kubelet's default, /var/log/pods,
// is the host's, shared by every node and left behind by a killed test.
func (c *config) podLogsDir() string { return c.path("pod-logs") }

// kernelTunables are the sysctls the kubelet insists on (it writes them unless they already hold
// these values). They are not namespaced, so the supervisor shows the kubelet files that already
// hold them instead of letting it change the host.
var kernelTunables = map[string]string{
	"vm/overcommit_memory":      "1",
	"vm/panic_on_oom":           "0",
	"kernel/panic":              "10",
	"kernel/panic_on_oops":      "1",
	"kernel/keys/root_maxkeys":  "1000000",
	"kernel/keys/root_maxbytes": "25000000",
}

// containerdTOML keeps every containerd path inside the node's folder (the CNI IPAM's too) so
// nodes share nothing; restrict_oom_score_adj because this machine refuses negative scores.
func containerdTOML(c *config) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = %[3]q

[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[6]q
`, c.path("containerd", "root"), c.path("containerd", "state"), c.socket(), c.path("containerd", "opt"),
		sandboxImage, c.cniConfDir())
}

// cniConflist gives each pod an address on the node's bridge; traffic leaving the pod range is
// masqueraded to the node's address, so peers in other clusters see the node, as behind a NodePort.
func cniConflist(c *config) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "sei-fleet",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": c.path("cni", "ipam"),
					"ranges":  []any{[]any{map[string]any{"subnet": c.PodCIDR}}},
					"routes":  []any{map[string]any{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// kubeletYAML is the kubelet's configuration for a node in a namespace of its own on cgroup v1,
// without swap accounting or host DNS, serving its API on the node's address only.
func kubeletYAML(c *config) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://%[1]s
address: %[2]s
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
localStorageCapacityIsolation: false
protectKernelDefaults: false
resolvConf: ""
podCIDR: %[3]s
podLogsDir: %[4]s
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%%"
  imagefs.available: "1%%"
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
`, c.socket(), c.IP, c.PodCIDR, c.podLogsDir())
}

// proxyYAML runs kube-proxy in iptables mode; the conntrack sizes stay untouched because they are
// global on this kernel.
func proxyYAML(c *config) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %[1]s
hostnameOverride: %[2]s
clusterCIDR: %[3]s
mode: iptables
bindAddress: %[4]s
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [%[4]s/32]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, c.kubeconfig(), c.Name, c.ClusterCIDR, c.IP)
}
