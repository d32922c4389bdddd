package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
)

// TestValidateNamesEachField breaks one field of a valid configuration at a time and expects exactly
// one problem, naming that field.
func TestValidateNamesEachField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		doc   string // parsed after a valid images section
		want  string
		edit  func(*config.Config) // instead of doc: breaks Default in a way a file cannot
		count int                  // expected problems; 0 means 1
	}{
		{name: "sidecar image required", doc: "images: {sidecar: \"\"}", want: "images.sidecar: required"},
		{name: "double-sign check negative", doc: "signing: {doubleSignCheckHeight: -1}", want: "signing.doubleSignCheckHeight: must not be negative, got -1"},
		{name: "double-sign check of 1", doc: "signing: {doubleSignCheckHeight: 1}", want: "signing.doubleSignCheckHeight: 1 checks no block in seid"},
		{name: "sidecar image spaces", doc: "images: {sidecar: \"a b\"}", want: "images.sidecar: must not contain spaces"},
		{name: "relative home", doc: "seidHome: data", want: `seidHome: must be a clean absolute path without spaces, other than / and /tmp, got "data"`},
		{name: "unclean home", doc: "seidHome: /home/../x", want: "seidHome: must be a clean absolute path"},
		{name: "home with space", doc: "seidHome: /home/my sei", want: "seidHome: must be a clean absolute path"},
		{name: "home under mounts", doc: "seidHome: /tmp", want: "seidHome: must be a clean absolute path"},
		{name: "cluster domain", doc: "clusterDomain: Bad_Domain", want: `clusterDomain: "Bad_Domain" is not a DNS subdomain`},
		{name: "size not a quantity", doc: "storage: {default: {size: 1Ti}, archive: {size: lots}}",
			want: `storage.archive.size: quantities must be like 500Gi, got "lots"`},
		{name: "empty size", doc: "storage: {default: {size: \"\"}}", want: `storage.default.size: quantities must be like 500Gi, got ""`},
		{name: "zero size", doc: "storage: {default: {size: 1Ti}, seed: {size: \"0\"}}", want: "storage.seed.size: must be greater than zero, got 0"},
		{name: "negative size", doc: "storage: {default: {size: -1Gi}}", want: "storage.default.size: must not be negative, got -1Gi"},
		{name: "default size required", edit: func(c *config.Config) { c.Storage.Default.Size = nil }, want: "storage.default.size: required"},
		{name: "storage class", doc: "storage: {validator: {storageClassName: Fast_SSD}}", want: `storage.validator.storageClassName: "Fast_SSD" is not a DNS subdomain`},
		{name: "request not a quantity", doc: "resources: {full: {requests: {cpu: lots}}}", want: `resources.full.requests.cpu: quantities must be like 500Gi, got "lots"`},
		{name: "request above limit", doc: "resources: {default: {requests: {memory: 8Gi}, limits: {memory: 4Gi}}}",
			want: "resources.default.requests.memory: 8Gi exceeds limits.memory 4Gi"},
		{name: "negative limit", doc: "resources: {archive: {limits: {cpu: \"-1\"}}}", want: "resources.archive.limits.cpu: must not be negative"},
		{name: "resource name", doc: "resources: {default: {requests: {\"bad name\": \"1\"}}}", want: `resources.default.requests: "bad name" is not a resource name`},
		{name: "sidecar port low", doc: "sidecar: {port: 80}", want: "sidecar.port: must be between 1024 and 65535, got 80"},
		{name: "sidecar port high", doc: "sidecar: {port: 70000}", want: "sidecar.port: must be between 1024 and 65535, got 70000"},
		{name: "sidecar port is seid's", doc: "sidecar: {port: 26657}", want: "sidecar.port: 26657 is seid's rpc port"},
		{name: "sidecar env reserved", doc: envDoc("{name: SEI_CHAIN_ID, value: x}"), want: "sidecar.env[4].name: SEI_CHAIN_ID is set by the agent"},
		{name: "sidecar env invalid name", doc: envDoc(`{name: "1X", value: x}`), want: `sidecar.env[4].name: "1X" is not an environment variable name`},
		{name: "sidecar env empty name", doc: envDoc("{value: x}"), want: "sidecar.env[4].name: required"},
		{name: "sidecar env twice", doc: envDoc("{name: X, value: a}", "{name: X, value: b}"), want: "sidecar.env[5].name: X is set twice"},
		{name: "sidecar env required empty", want: "sidecar.env[0].value: SEI_GENESIS_BUCKET must not be empty",
			edit: func(c *config.Config) { c.Sidecar.Env[0].Value = "" }},
		{name: "sidecar env required missing", doc: "sidecar: {env: [{name: SEI_GENESIS_BUCKET, value: b}, {name: SEI_GENESIS_REGION, value: r}, {name: SEI_SNAPSHOT_BUCKET, value: b}]}",
			want: "sidecar.env: SEI_SNAPSHOT_REGION is required: seictl refuses to start without it"},
		{name: "sidecar env all required missing", doc: "sidecar: {env: []}", want: "sidecar.env: SEI_GENESIS_BUCKET is required", count: 4},
		{name: "sidecar resources", doc: "sidecar: {resources: {requests: {memory: much}}}", want: `sidecar.resources.requests.memory: quantities must be like 500Gi, got "much"`},
		{name: "service account", doc: "scheduling: {default: {serviceAccountName: SA}}", want: `scheduling.default.serviceAccountName: "SA" is not a DNS subdomain`},
		{name: "priority class", doc: "scheduling: {validator: {priorityClassName: Top!}}", want: `scheduling.validator.priorityClassName: "Top!" is not a DNS subdomain`},
		{name: "node selector key", doc: "scheduling: {archive: {nodeSelector: {\"a b\": x}}}", want: `scheduling.archive.nodeSelector["a b"]: not a label key`},
		{name: "node selector value", doc: "scheduling: {default: {nodeSelector: {pool: \"a b\"}}}", want: `scheduling.default.nodeSelector["pool"]: "a b" is not a label value`},
		{name: "toleration operator", doc: "scheduling: {default: {tolerations: [{key: k, operator: Is}]}}", want: `scheduling.default.tolerations[0].operator: must be Equal or Exists, got "Is"`},
		{name: "toleration key", doc: "scheduling: {default: {tolerations: [{operator: Equal, value: v}]}}", want: "scheduling.default.tolerations[0].key: required unless operator is Exists"},
		{name: "toleration value", doc: "scheduling: {seed: {tolerations: [{key: k, operator: Exists, value: v}]}}", want: "scheduling.seed.tolerations[0].value: must be empty when operator is Exists"},
		{name: "toleration effect", doc: "scheduling: {default: {tolerations: [{key: k, effect: Never}]}}", want: `scheduling.default.tolerations[0].effect: must be NoSchedule, PreferNoSchedule or NoExecute, got "Never"`},
		{name: "toleration seconds", doc: "scheduling: {default: {tolerations: [{key: k, effect: NoSchedule, tolerationSeconds: 5}]}}",
			want: "scheduling.default.tolerations[0].tolerationSeconds: only applies with effect NoExecute"},
		{name: "service type", doc: "p2p: {serviceType: ClusterIP}", want: `p2p.serviceType: must be LoadBalancer or NodePort, got "ClusterIP"`},
		{name: "node address type", doc: "p2p: {nodeAddressType: Hostname}", want: `p2p.nodeAddressType: must be ExternalIP or InternalIP, got "Hostname"`},
		{name: "lb annotation", doc: "p2p: {loadBalancerAnnotations: {\"a b\": x}}", want: `p2p.loadBalancerAnnotations["a b"]: not an annotation key`},
		{name: "lb class", doc: "p2p: {loadBalancerClass: \"a b\"}", want: `p2p.loadBalancerClass: "a b" is not a class name`},
		{name: "root user", doc: "security: {runAsUser: 0}", want: "security.runAsUser: must not be 0: node pods run as non-root"},
		{name: "negative user", doc: "security: {runAsUser: -1}", want: "security.runAsUser: must be between 0 and 2147483647, inclusive, got -1"},
		{name: "negative group", doc: "security: {runAsGroup: -1}", want: "security.runAsGroup: must be between 0 and 2147483647, inclusive, got -1"},
		{name: "fs group too big", doc: "security: {fsGroup: 4294967296}", want: "security.fsGroup: must be between 0 and 2147483647, inclusive"},
		{name: "fs group required", edit: func(c *config.Config) { c.Security.FSGroup = nil }, want: "security.fsGroup: required"},
		{name: "sidecar peers empty", doc: "networkPolicy: {sidecarFrom: []}", want: "networkPolicy.sidecarFrom: required: without a peer nobody, the agent included, reaches the sidecar"},
		{name: "peer without selector", doc: "networkPolicy: {sidecarFrom: [{}]}", want: "networkPolicy.sidecarFrom[0]: needs podSelector, namespaceSelector or ipBlock"},
		{name: "peer selector", doc: "networkPolicy: {rpcFrom: [{podSelector: {matchExpressions: [{key: a, operator: Near}]}}]}",
			want: `networkPolicy.rpcFrom[0].podSelector: "Near" is not a valid label selector operator`},
		{name: "peer cidr", doc: "networkPolicy: {sidecarFrom: [{ipBlock: {cidr: 10.0.0.1}}]}", want: `networkPolicy.sidecarFrom[0].ipBlock.cidr: must be a CIDR such as 10.0.0.1/32, got "10.0.0.1"`},
		{name: "peer except", doc: "networkPolicy: {sidecarFrom: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}",
			want: `networkPolicy.sidecarFrom[0].ipBlock.except[0]: must be a CIDR strictly inside 10.0.0.0/8, got "192.168.0.0/16"`},
		{name: "peer ipBlock and selector", doc: "networkPolicy: {sidecarFrom: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}",
			want: "networkPolicy.sidecarFrom[0]: ipBlock excludes podSelector and namespaceSelector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			doc := tc.doc
			if !strings.HasPrefix(doc, "images:") {
				doc = "images: {sidecar: registry.example.com/seictl:v1}\n" + doc
			}
			var err error
			if tc.edit != nil {
				c := config.Default()
				tc.edit(c)
				err = c.Validate()
			} else {
				_, err = config.Parse([]byte(doc))
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			count := tc.count
			if count == 0 {
				count = 1
			}
			g.Expect(strings.Split(err.Error(), "\n")).To(HaveLen(count), err.Error())
		})
	}
}

// envDoc is a sidecar.env with the required variables followed by extra entries.
func envDoc(extra ...string) string {
	entries := []string{}
	for _, name := range config.RequiredSidecarEnv {
		entries = append(entries, "{name: "+name+", value: x}")
	}
	return "sidecar: {env: [" + strings.Join(append(entries, extra...), ", ") + "]}"
}

// TestValidateReportsEverything checks that one bad file gets one line per problem, not just the first.
func TestValidateReportsEverything(t *testing.T) {
	g := NewWithT(t)
	_, err := config.Load(filepath.Join("testdata", "invalid.yaml"))
	g.Expect(err).To(HaveOccurred())
	for _, field := range []string{
		"images.sidecar: required",
		"seidHome:",
		"clusterDomain:",
		"storage.default.storageClassName:",
		"storage.default.size: must be greater than zero",
		`storage.archive.size: quantities must be like 500Gi, got "lots"`,
		"resources.default.limits.memory:",
		"resources.default.requests.cpu: 2 exceeds limits.cpu 1",
		"sidecar.port: 26657 is seid's rpc port",
		"sidecar.env[0].name: SEI_HOME is set by the agent",
		"sidecar.env[1].value: SEI_GENESIS_BUCKET must not be empty",
		"sidecar.env[2].name:",
		"sidecar.env: SEI_SNAPSHOT_REGION is required",
		"sidecar.resources.requests.memory: must not be negative",
		"scheduling.default.serviceAccountName:",
		`scheduling.default.nodeSelector["bad key!"]:`,
		"scheduling.default.tolerations[0].key:",
		"scheduling.default.tolerations[0].effect:",
		"scheduling.seed.priorityClassName:",
		"p2p.serviceType:",
		"p2p.nodeAddressType:",
		`p2p.loadBalancerAnnotations["no spaces allowed"]:`,
		"p2p.loadBalancerClass:",
		"security.runAsUser:",
		"security.runAsGroup:",
		"security.fsGroup:",
	} {
		g.Expect(err.Error()).To(ContainSubstring(field))
	}
}

func TestValidateAcceptsValueFromForRequiredEnv(t *testing.T) {
	g := NewWithT(t)
	c := config.Default()
	c.Sidecar.Env[0] = corev1.EnvVar{Name: config.EnvGenesisBucket, ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s3"}, Key: "bucket"},
	}}
	g.Expect(c.Validate()).To(Succeed())
}

func TestValidateAcceptsGoodSchedulingAndP2P(t *testing.T) {
	g := NewWithT(t)
	c := config.Default()
	c.Scheduling.Default = config.Scheduling{
		ServiceAccountName: "sei-node",
		NodeSelector:       map[string]string{"karpenter.sh/nodepool": "sei"},
		Tolerations: []corev1.Toleration{
			{Operator: corev1.TolerationOpExists},
			{Key: "k", Operator: corev1.TolerationOpEqual, Value: "v", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(30))},
		},
		PriorityClassName: "high",
	}
	c.P2P.LoadBalancerAnnotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-type": "external"}
	c.P2P.LoadBalancerClass = "service.k8s.aws/nlb"
	g.Expect(c.Validate()).To(Succeed())
}
