package v1alpha1_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// These tests run every manifest against a real kube-apiserver with the generated CRDs: the CEL
// rules and schema markers are what reject bad input before anything runs.

var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{}, &fleet))
}

const ns = "default"

func object(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	NewWithT(t).Expect(yaml.Unmarshal([]byte(manifest), &u.Object)).To(Succeed())
	if u.GetNamespace() == "" && u.GetKind() != "SeiPlacementPolicy" {
		u.SetNamespace(ns)
	}
	return u
}

// dryRun creates the object server-side without persisting it.
func dryRun(t *testing.T, u *unstructured.Unstructured) error {
	t.Helper()
	return fleet.Hub.Client.Create(t.Context(), u, client.DryRunAll)
}

const validNode = `
apiVersion: sei.io/v1alpha1
kind: SeiNode
metadata: {name: node-a}
spec:
  chainId: test-1
  image: seid:v1
  fullNode: {}
`

const validDeployment = `
apiVersion: sei.io/v1alpha1
kind: SeiNodeDeployment
metadata: {name: deploy-a}
spec:
  chainId: test-1
  image: seid:v1
  replicas: 3
  role: FullNode
  placement: {policyName: p}
`

const validValidators = `
apiVersion: sei.io/v1alpha1
kind: SeiNodeDeployment
metadata: {name: validators-a}
spec:
  chainId: test-1
  image: seid:v1
  replicas: 4
  role: Validator
  genesis: {}
  placement: {policyName: p}
`

const validPolicy = `
apiVersion: sei.io/v1alpha1
kind: SeiPlacementPolicy
metadata: {name: policy-a}
spec: {}
`

// patch returns base with the YAML fragment merged into spec (nil values delete keys).
func patch(t *testing.T, base, specFragment string) *unstructured.Unstructured {
	t.Helper()
	u := object(t, base)
	frag := map[string]any{}
	NewWithT(t).Expect(yaml.Unmarshal([]byte(specFragment), &frag)).To(Succeed())
	spec, _ := u.Object["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
	}
	for k, v := range frag {
		if v == nil {
			delete(spec, k)
			continue
		}
		spec[k] = v
	}
	u.Object["spec"] = spec
	return u
}

func TestInvalidManifestsAreRejectedNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  func(t *testing.T) *unstructured.Unstructured
		want []string // substrings of the error: the field, and what is wrong
	}{
		// SeiNode
		{"node: chainId with capitals", func(t *testing.T) *unstructured.Unstructured { return patch(t, validNode, `chainId: Pacific_1`) },
			[]string{"spec.chainId", "should match"}},
		{"node: chainId too long", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `chainId: `+strings.Repeat("a", 51))
		}, []string{"spec.chainId", "may not be more than 50"}},
		{"node: image missing", func(t *testing.T) *unstructured.Unstructured { return patch(t, validNode, `image: null`) },
			[]string{"spec.image", "Required"}},
		{"node: image empty", func(t *testing.T) *unstructured.Unstructured { return patch(t, validNode, `image: ""`) },
			[]string{"spec.image", "at least 1"}},
		{"node: no mode", func(t *testing.T) *unstructured.Unstructured { return patch(t, validNode, `fullNode: null`) },
			[]string{"exactly one of spec.fullNode, spec.archive, spec.seed and spec.validator"}},
		{"node: two modes", func(t *testing.T) *unstructured.Unstructured { return patch(t, validNode, `archive: {}`) },
			[]string{"exactly one of spec.fullNode"}},
		{"node: malformed peer", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `peers: ["not-a-node-id@host:26656"]`)
		}, []string{"spec.peers[0]", "should match"}},
		{"node: validator with neither mint nor keys", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, "fullNode: null\nvalidator: {identity: {}}")
		}, []string{"spec.validator.identity", "exactly one of mint: true or signingKeySecret"}},
		{"node: signing key without node key", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, "fullNode: null\nvalidator: {identity: {signingKeySecret: k}}")
		}, []string{"spec.validator.identity", "signingKeySecret and nodeKeySecret go together"}},
		{"node: bad genesis hash", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `genesis: {configMapName: g, sha256: ABC}`)
		}, []string{"spec.genesis.sha256", "should match"}},
		{"node: pod label in sei.io namespace", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `podLabels: {sei.io/node: x}`)
		}, []string{"podLabels must not set sei.io/ labels"}},
		{"node: override keys the sidecar does not accept, named", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `overrides: {"p2p.max-num-inbound-peers": "80", "P2P Port": "1", logging.level: debug}`)
		}, []string{"spec.overrides", "overrides keys the seictl sidecar does not accept:", "p2p.max-num-inbound-peers", "P2P Port", nodeconfig.DocPath}},
		{"node: override of a key the fleet sets", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `overrides: {mode: validator}`)
		}, []string{"spec.overrides", `does not accept: ["mode"]`}},
		{"node: too many overrides", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, "overrides: {"+manyOverrides(129)+"}")
		}, []string{"spec.overrides", "must have at most 128 items"}},
		{"node: sidecar port out of range", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `sidecar: {port: 80}`)
		}, []string{"spec.sidecar.port", "greater than or equal to 1024"}},
		{"node: unknown p2p service type", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `p2p: {serviceType: ClusterIP}`)
		}, []string{"spec.p2p.serviceType", "Unsupported value"}},

		// SeiNodeDeployment
		{"deployment: too many replicas", func(t *testing.T) *unstructured.Unstructured { return patch(t, validDeployment, `replicas: 201`) },
			[]string{"spec.replicas", "less than or equal to 200"}},
		{"deployment: negative replicas", func(t *testing.T) *unstructured.Unstructured { return patch(t, validDeployment, `replicas: -1`) },
			[]string{"spec.replicas", "greater than or equal to 0"}},
		{"deployment: unknown role", func(t *testing.T) *unstructured.Unstructured { return patch(t, validDeployment, `role: Miner`) },
			[]string{"spec.role", "Unsupported value"}},
		{"deployment: placement missing", func(t *testing.T) *unstructured.Unstructured { return patch(t, validDeployment, `placement: null`) },
			[]string{"spec.placement", "Required"}},
		{"deployment: validators without genesis", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: null`)
		}, []string{"spec.genesis is required when spec.role is Validator"}},
		{"deployment: genesis on full nodes", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `genesis: {}`)
		}, []string{"spec.genesis is only allowed when spec.role is Validator"}},
		{"deployment: validators joining", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `joins: {deployment: other}`)
		}, []string{"spec.joins is only allowed for non-validator roles"}},
		{"deployment: ceremony with no validators", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `replicas: 0`)
		}, []string{"spec.replicas must be at least 1 for a genesis ceremony"}},
		{"deployment: staking amount without denom", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {stakingAmount: "1000"}`)
		}, []string{"spec.genesis.stakingAmount", "should match"}},
		{"deployment: bad genesis account address", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {accounts: [{address: cosmos1abc, balance: 1usei}]}`)
		}, []string{"spec.genesis.accounts[0].address", "should match"}},
		// What genesis assembly would refuse, where a schema rule says it exactly (issue 11).
		{"deployment: zero stakingAmount", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {stakingAmount: "000usei"}`)
		}, []string{"spec.genesis.stakingAmount", "must be positive"}},
		{"deployment: two-letter denom", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {stakingAmount: "10000000us"}`)
		}, []string{"spec.genesis.stakingAmount", "should match"}},
		{"deployment: a zero amount in accountBalance", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {accountBalance: "1000000000000usei,0uatom"}`)
		}, []string{"spec.genesis.accountBalance", "amounts must be positive"}},
		{"deployment: a zero account balance", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {accounts: [{address: sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu, balance: 0usei}]}`)
		}, []string{"spec.genesis.accounts[0].balance", "amounts must be positive"}},
		{"deployment: an account address of 21 bytes", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {accounts: [{address: sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqqqvu, balance: 1usei}]}`)
		}, []string{"spec.genesis.accounts[0].address", "should match"}},
		{"deployment: genesis override of a path assembly fills", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {overrides: {app_state.bank.supply: '[]'}}`)
		}, []string{"spec.genesis.overrides", "must not set app_state.auth.accounts"}},
		{"deployment: genesis override of a parent of one", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {overrides: {app_state.genutil: '{}'}}`)
		}, []string{"spec.genesis.overrides", "or a parent of them"}},
		{"node: zero ceremony stakingAmount", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, "fullNode: null\nvalidator: {identity: {mint: true}, ceremony: {moniker: m, stakingAmount: 0usei, accountBalance: 1usei}}")
		}, []string{"spec.validator.ceremony.stakingAmount", "must be positive"}},
		{"deployment: genesis override outside app_state", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {overrides: {chain_id: '"x"'}}`)
		}, []string{"spec.genesis.overrides", "dotted paths under app_state or consensus_params"}},
		{"deployment: genesis override value not JSON", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {overrides: {app_state.staking.params.unbonding_time: 60s}}`)
		}, []string{"spec.genesis.overrides[app_state.staking.params.unbonding_time]", "must be JSON"}},
		{"deployment: maxUnavailable zero", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `updateStrategy: {maxUnavailable: 0}`)
		}, []string{"spec.updateStrategy.maxUnavailable", "from 1 to 200"}},
		{"deployment: maxUnavailable 150%", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `updateStrategy: {maxUnavailable: "150%"}`)
		}, []string{"spec.updateStrategy.maxUnavailable", "percentage from 1% to 100%"}},
		{"deployment: bad selector operator", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `placement: {policyName: p, clusterSelector: {matchExpressions: [{key: region, operator: Near, values: [us]}]}}`)
		}, []string{"spec.placement.clusterSelector", "operator must be In, NotIn, Exists or DoesNotExist"}},
		{"deployment: In without values", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `placement: {policyName: p, clusterSelector: {matchExpressions: [{key: region, operator: In}]}}`)
		}, []string{"spec.placement.clusterSelector", "values must be non-empty for In and NotIn"}},
		{"deployment: template override key the sidecar does not accept", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `template: {overrides: {p2p.max-connections: "80"}}`)
		}, []string{"spec.template.overrides", `does not accept: ["p2p.max-connections"]`}},
		{"deployment: unknown deletion policy", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `deletionPolicy: Orphan`)
		}, []string{"spec.deletionPolicy", "Unsupported value"}},

		// SeiPlacementPolicy
		{"policy: power fraction zero", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `maxVotingPowerFraction: "0/3"`)
		},
			[]string{"spec.maxVotingPowerFraction", "greater than 0 and at most 1"}},
		{"policy: power fraction above one", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `maxVotingPowerFraction: "4/3"`)
		},
			[]string{"spec.maxVotingPowerFraction", "greater than 0 and at most 1"}},
		{"policy: power fraction as words", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `maxVotingPowerFraction: third`)
		},
			[]string{"spec.maxVotingPowerFraction", "a fraction a/b or a decimal"}},
		{"policy: decimal fraction above one", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `maxVotingPowerFraction: "1.5"`)
		},
			[]string{"spec.maxVotingPowerFraction"}},
		{"policy: maxSkew zero", func(t *testing.T) *unstructured.Unstructured { return patch(t, validPolicy, `maxSkew: 0`) },
			[]string{"spec.maxSkew", "greater than or equal to 1"}},
		{"policy: maxNodesPerCluster zero", func(t *testing.T) *unstructured.Unstructured { return patch(t, validPolicy, `maxNodesPerCluster: 0`) },
			[]string{"spec.maxNodesPerCluster", "greater than or equal to 1"}},
		{"policy: namespaces and namespaceSelector", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `{namespaces: [a], namespaceSelector: {matchLabels: {team: x}}}`)
		}, []string{"set at most one of spec.namespaces and spec.namespaceSelector"}},
		{"policy: bad topology key", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `topologyKey: "not a label"`)
		},
			[]string{"spec.topologyKey", "should match"}},
		{"policy: unknown validator failover", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `failover: {validators: Automatic}`)
		}, []string{"spec.failover.validators", "Unsupported value"}},
		{"policy: negative toleration", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `failover: {fullNodes: {tolerationSeconds: -1}}`)
		}, []string{"spec.failover.fullNodes.tolerationSeconds", "greater than or equal to 0"}},
		// What only fails later is refused now: a duration Go cannot parse stops every List of the kind.
		{"deploy: startDelay in words", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {startDelay: soon}`)
		}, []string{"spec.genesis.startDelay", "should match"}},
		{"deploy: startDelay in days", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {startDelay: 1d}`)
		}, []string{"spec.genesis.startDelay", "should match"}},
		{"deploy: negative startDelay", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {startDelay: -30s}`)
		}, []string{"spec.genesis.startDelay", "should match"}},
		{"deploy: startDelay of a year", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {startDelay: 8760h}`)
		}, []string{"spec.genesis.startDelay", "from 0s to 24h"}},
		{"deploy: zero deadline", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `genesis: {deadline: 0s}`)
		}, []string{"spec.genesis.deadline", "from 1m to 168h"}},
		{"deploy: maxUnavailable past int32", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `updateStrategy: {maxUnavailable: 2147483648}`)
		}, []string{"spec.updateStrategy.maxUnavailable", "from 1 to 200"}},
		{"deploy: negative data volume", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `template: {dataVolume: {size: -1Gi}}`)
		}, []string{"spec.template.dataVolume.size", "larger than zero"}},
		{"deploy: joins itself", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `joins: {deployment: deploy-a}`)
		}, []string{"cannot join the network it creates"}},
		{"node: zero data volume", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `dataVolume: {size: "0"}`)
		}, []string{"spec.dataVolume.size", "larger than zero"}},
		{"node: peer port above 65535", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `peers: ["0123456789abcdef0123456789abcdef01234567@host:65536"]`)
		}, []string{"spec.peers[0]", "should match"}},
		{"node: external address port zero", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `externalAddress: "host:0"`)
		}, []string{"spec.externalAddress", "should match"}},
		// Bootstrap
		{"node: bootstrap with both state sync and snapshot", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {stateSync: {}, snapshot: {s3: {bucket: snaps, region: us-east-1}}}}`)
		}, []string{"spec.fullNode.bootstrap", "exactly one of stateSync and snapshot"}},
		{"node: empty bootstrap", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {}}`)
		}, []string{"spec.fullNode.bootstrap", "exactly one of stateSync and snapshot"}},
		{"node: one rpc server", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {stateSync: {rpcServers: ["a.example.com:26657"]}}}`)
		}, []string{"spec.fullNode.bootstrap.stateSync.rpcServers", "at least 2 items"}},
		{"node: rpc server with a scheme", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {stateSync: {rpcServers: ["http://a:26657", "b:26657"]}}}`)
		}, []string{"spec.fullNode.bootstrap.stateSync.rpcServers[0]", "should match"}},
		{"node: trust period too short", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {stateSync: {trustPeriod: 30s}}}`)
		}, []string{"spec.fullNode.bootstrap.stateSync.trustPeriod", "at least 1m"}},
		{"node: snapshot without a bucket", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {snapshot: {s3: {region: us-east-1}}}}`)
		}, []string{"spec.fullNode.bootstrap.snapshot.s3.bucket", "Required"}},
		{"node: snapshot endpoint without a scheme", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `fullNode: {bootstrap: {snapshot: {s3: {bucket: snaps, region: us-east-1, endpoint: "minio:9000"}}}}`)
		}, []string{"spec.fullNode.bootstrap.snapshot.s3.endpoint", "should match"}},
		{"node: serveStateSync and snapshot overrides", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, "serveStateSync: {snapshotInterval: 10}\noverrides: {storage.snapshot_interval: \"20\"}")
		}, []string{"storage.snapshot_interval", "when serveStateSync sets them"}},
		{"node: serveStateSync without an interval", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, `serveStateSync: {snapshotKeepRecent: 2}`)
		}, []string{"spec.serveStateSync.snapshotInterval", "Required"}},
		{"node: bootstrap and state_sync overrides", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validNode, "fullNode: {bootstrap: {stateSync: {}}}\noverrides: {state_sync.use_p2p: \"true\"}")
		}, []string{"must not set state_sync.* keys when spec.fullNode.bootstrap"}},
		{"deployment: bootstrap and state_sync overrides", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, "bootstrap: {stateSync: {rpcServers: [\"a:1\", \"b:2\"]}}\ntemplate: {overrides: {state_sync.trust_height: \"5\"}}")
		}, []string{"must not set state_sync.* keys when spec.bootstrap"}},
		{"deployment: bootstrap of validators", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validValidators, `bootstrap: {stateSync: {rpcServers: ["a:26657", "b:26657"]}}`)
		}, []string{"spec.bootstrap is only allowed when spec.role is FullNode"}},
		{"deployment: bootstrap without witnesses or joins", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, `bootstrap: {stateSync: {}}`)
		}, []string{"spec.bootstrap needs rpcServers unless spec.joins"}},
		{"deployment: serveStateSync and snapshot overrides", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validDeployment, "template: {serveStateSync: {snapshotInterval: 10}, overrides: {storage.snapshot_keep_recent: \"5\"}}")
		}, []string{"spec.template", "when serveStateSync sets them"}},
		{"policy: selector with Exists and values", func(t *testing.T) *unstructured.Unstructured {
			return patch(t, validPolicy, `clusterSelector: {matchExpressions: [{key: region, operator: Exists, values: [us]}]}`)
		}, []string{"spec.clusterSelector", "empty for Exists and DoesNotExist"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			err := dryRun(t, tc.obj(t))
			g.Expect(err).To(HaveOccurred(), "the apiserver accepted an invalid manifest")
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
			for _, w := range tc.want {
				g.Expect(err.Error()).To(ContainSubstring(w))
			}
		})
	}
}

func TestValidBaselinesAreAccepted(t *testing.T) {
	for _, m := range []string{validNode, validDeployment, validValidators, validPolicy} {
		NewWithT(t).Expect(dryRun(t, object(t, m))).To(Succeed(), m)
	}
	NewWithT(t).Expect(dryRun(t, patch(t, validNode, `overrides: {network.p2p.max_connections: "80", logging.level: debug}`))).To(Succeed())
	NewWithT(t).Expect(dryRun(t, patch(t, validDeployment, `template: {overrides: {storage.pruning: nothing}}`))).To(Succeed())
	for _, frag := range []string{
		`bootstrap: {stateSync: {rpcServers: ["rpc-1.example.com:443", "10.0.0.7:26657"], trustPeriod: 168h}}`,
		`bootstrap: {snapshot: {s3: {bucket: sei-snapshots, region: us-east-2, endpoint: "http://10.0.0.9:9000"}, targetHeight: 1000, rpcServers: ["a:26657", "b:26657"]}}`,
		`joins: {deployment: validators}` + "\n" + `bootstrap: {stateSync: {}}`,
		`template: {serveStateSync: {snapshotInterval: 2000}}`,
	} {
		NewWithT(t).Expect(dryRun(t, patch(t, validDeployment, frag))).To(Succeed(), frag)
	}
	NewWithT(t).Expect(dryRun(t, patch(t, validNode, `fullNode: {bootstrap: {stateSync: {}}}`))).To(Succeed(), "a lone node's sidecar derives witnesses from its peers")
	for _, frac := range []string{"1/3", "2/3", "1/1", "0.33", "1", "1.0", ".5"} {
		NewWithT(t).Expect(dryRun(t, patch(t, validPolicy, `maxVotingPowerFraction: "`+frac+`"`))).To(Succeed(), frac)
	}
	for _, v := range []string{`50`, `"60s"`, `true`, `{"a":1}`, `["x"]`, `-1.5e3`, `null`} {
		NewWithT(t).Expect(dryRun(t, patch(t, validValidators, `genesis: {overrides: {app_state.x.y: '`+v+`'}}`))).To(Succeed(), v)
	}
}

// TestEveryOverrideKeyIsAccepted sends every key nodeconfig accepts, 128 at a time (the most a node
// may have, where the CEL rule costs most), so the CRD's allowlist and nodeconfig agree.
func TestEveryOverrideKeyIsAccepted(t *testing.T) {
	keys := nodeconfig.Keys()
	NewWithT(t).Expect(len(keys)).To(BeNumerically(">", 200))
	for start := 0; start < len(keys); start += 128 {
		overrides := map[string]any{}
		for _, k := range keys[start:min(start+128, len(keys))] {
			overrides[k.Name] = k.Defaults["full"]
		}
		u := object(t, validNode)
		u.Object["spec"].(map[string]any)["overrides"] = overrides
		NewWithT(t).Expect(dryRun(t, u)).To(Succeed(), "keys from %s", keys[start].Name)
	}
}

// manyOverrides is n distinct accepted keys as a YAML flow mapping's entries.
func manyOverrides(n int) string {
	var b strings.Builder
	for i, k := range nodeconfig.Keys()[:n] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.Name + `: "1"`)
	}
	return b.String()
}

func TestEverySampleIsAccepted(t *testing.T) {
	g := NewWithT(t)
	paths, err := filepath.Glob("../../deploy/samples/*.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(paths)).To(BeNumerically(">=", 6))
	ensureNamespace(t, "sei")
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		g.Expect(err).NotTo(HaveOccurred())
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			u := &unstructured.Unstructured{}
			g.Expect(yaml.Unmarshal([]byte(doc), &u.Object)).To(Succeed(), p)
			g.Expect(dryRun(t, u)).To(Succeed(), p)
			g.Expect(sampleOverrides(t, []byte(doc))).To(Succeed(), p)
		}
	}
}

// sampleOverrides checks a sample's node overrides as the hub and the agent will: the apiserver
// checks only their keys.
func sampleOverrides(t *testing.T, doc []byte) error {
	t.Helper()
	g := NewWithT(t)
	var meta metav1.TypeMeta
	g.Expect(yaml.Unmarshal(doc, &meta)).To(Succeed())
	switch meta.Kind {
	case "SeiNode":
		var n seiv1alpha1.SeiNode
		g.Expect(yaml.Unmarshal(doc, &n)).To(Succeed())
		return nodeconfig.ValidateOverrides(string(n.Spec.Mode()), n.Spec.Overrides)
	case "SeiNodeDeployment":
		var d seiv1alpha1.SeiNodeDeployment
		g.Expect(yaml.Unmarshal(doc, &d)).To(Succeed())
		return nodeconfig.ValidateOverrides(string(d.Spec.Role.Mode()), d.Spec.Template.Overrides)
	}
	return nil
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Namespace")
	u.SetName(name)
	if err := fleet.Hub.Client.Create(t.Context(), u); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// Updates: what is immutable stays so.
func TestImmutableFieldsRejectChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   string
		update string
		want   string
	}{
		{"node chainId", validNode, `chainId: other-1`, "chainId is immutable"},
		{"node mode", validNode, "fullNode: null\narchive: {}", "mode (spec.fullNode, spec.archive, spec.seed, spec.validator) is immutable"},
		{"deployment role", validDeployment, `role: Archive`, "role is immutable"},
		{"deployment chainId", validDeployment, `chainId: other-1`, "chainId is immutable"},
		{"validator replicas", validValidators, `replicas: 5`, "spec.replicas is immutable for a genesis deployment"},
		{"genesis", validValidators, `genesis: {stakingAmount: 5usei}`, "spec.genesis is immutable once set"},
		{"bootstrap added", validNode, `fullNode: {bootstrap: {stateSync: {}}}`, "fullNode.bootstrap cannot be added, removed or switched"},
		{"bootstrap switched", strings.Replace(validNode, "fullNode: {}", "fullNode: {bootstrap: {stateSync: {}}}", 1), `fullNode: {bootstrap: {snapshot: {s3: {bucket: snaps, region: us-east-1}}}}`, "fullNode.bootstrap cannot be added, removed or switched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			u := object(t, tc.base)
			u.SetName("immutable-" + strings.ToLower(strings.ReplaceAll(tc.name, " ", "-")))
			g.Expect(fleet.Hub.Client.Create(t.Context(), u)).To(Succeed())
			t.Cleanup(func() { _ = fleet.Hub.Client.Delete(t.Context(), u) })

			changed := patch(t, tc.base, tc.update)
			changed.SetName(u.GetName())
			changed.SetNamespace(u.GetNamespace())
			changed.SetResourceVersion(u.GetResourceVersion())
			err := fleet.Hub.Client.Update(t.Context(), changed)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		})
	}
}

func TestNodeGenesisIsImmutableOnceSet(t *testing.T) {
	g := NewWithT(t)
	u := object(t, validNode)
	u.SetName("genesis-later")
	g.Expect(fleet.Hub.Client.Create(t.Context(), u)).To(Succeed())

	// Setting it later is allowed (the hub distributes genesis after the ceremony)...
	hash := strings.Repeat("a", 64)
	g.Expect(unstructured.SetNestedMap(u.Object, map[string]any{"configMapName": "g", "sha256": hash}, "spec", "genesis")).To(Succeed())
	g.Expect(fleet.Hub.Client.Update(t.Context(), u)).To(Succeed())
	// ...changing it is not.
	g.Expect(unstructured.SetNestedField(u.Object, strings.Repeat("b", 64), "spec", "genesis", "sha256")).To(Succeed())
	err := fleet.Hub.Client.Update(t.Context(), u)
	g.Expect(err).To(MatchError(ContainSubstring("spec.genesis is immutable once set")))
}

func TestDefaultsAreApplied(t *testing.T) {
	g := NewWithT(t)
	u := object(t, validValidators)
	u.SetName("defaults")
	g.Expect(fleet.Hub.Client.Create(t.Context(), u)).To(Succeed())
	spec := u.Object["spec"].(map[string]any)
	g.Expect(spec["deletionPolicy"]).To(Equal("Retain"))
	genesis := spec["genesis"].(map[string]any)
	g.Expect(genesis["stakingAmount"]).To(Equal("10000000usei"))
	g.Expect(genesis["startDelay"]).To(Equal("30s"))
	g.Expect(spec["updateStrategy"]).To(HaveKeyWithValue("maxUnavailable", BeNumerically("==", 1)))

	p := object(t, validPolicy)
	p.SetName("defaults")
	g.Expect(fleet.Hub.Client.Create(t.Context(), p)).To(Succeed())
	g.Expect(p.Object["spec"]).To(HaveKeyWithValue("maxVotingPowerFraction", "1/3"))
	g.Expect(p.Object["spec"]).To(HaveKeyWithValue("topologyKey", "region"))
	g.Expect(p.Object["spec"]).To(HaveKeyWithValue("failover", HaveKeyWithValue("validators", "Manual")))
}
