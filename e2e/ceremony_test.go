package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
)

// A four-validator ceremony over three member clusters, with one externally signed gentx: keys are
// minted where each validator runs, the hub assembles one genesis, every member holds it, every node's
// peers are the other validators, and no private key reaches the hub or any log.
func TestCeremonyAcrossThreeClusters(t *testing.T) {
	requireLocal(t) // it reads keys from member Secrets with admin access and scans in-process logs
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "ceremony-" + ns
	// Four validators over three regions: one region holds two; 2/3 keeps any one region from halting
	// the chain on its own while allowing that.
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) { s.MaxVotingPowerFraction = "2/3" })
	external, err := os.ReadFile("../internal/gentx/testdata/one/gentx.json")
	g.Expect(err).NotTo(HaveOccurred())
	dep := validators(ns, "net", policy, 4)
	dep.Spec.ChainID = "vec-1" // the external gentx was signed for this chain
	dep.Spec.Genesis.ExternalGentxs = []seiv1alpha1.ExternalGentx{{Name: "outside", Gentx: string(external)}}
	dep.Spec.Genesis.Accounts = []seiv1alpha1.GenesisAccount{{Address: "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu", Balance: "7usei"}}
	dep.Spec.Genesis.Overrides = map[string]seiv1alpha1.GenesisOverrideValue{"app_state.staking.params.max_validators": "50"}
	// maxUnavailable 2 would take 20 of the 50 voting power down at once: the 1/3 rule must hold it to one.
	two := intstr.FromInt32(2)
	dep.Spec.UpdateStrategy.MaxUnavailable = &two
	key := create(t, dep)
	dumpOnFailure(t, key)

	g.Eventually(func() metav1.ConditionStatus {
		return condition(getDeployment(t, key), seiv1alpha1.DeploymentGenesisCeremonyComplete).Status
	}).WithTimeout(120 * time.Second).Should(Equal(metav1.ConditionTrue))
	g.Eventually(readyCount(t, key)).WithTimeout(30 * time.Second).Should(Equal("4/4"))
	d := getDeployment(t, key)
	g.Expect(d.Status.Genesis.Validators).To(Equal(int32(5)), "four fleet validators and the external one")
	sha := d.Status.Genesis.SHA256

	recs := records(t, ns, "net")
	g.Expect(recs).To(HaveLen(4))
	clusters := map[string]bool{}
	addresses := map[string]string{} // nodeID → p2p address
	for _, r := range recs {
		clusters[r.Spec.ClusterName] = true
		addresses[r.Status.NodeID] = r.Status.P2PAddress
	}
	g.Expect(clusters).To(HaveLen(3), "the validators span three member clusters")

	// Every member that hosts a node holds the same genesis, byte for byte.
	for c := range clusters {
		cm := &corev1.ConfigMap{}
		g.Expect(fleet.Member(c).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: d.Status.Genesis.ConfigMapName}, cm)).To(Succeed())
		sum := sha256.Sum256([]byte(cm.Data["genesis.json"]))
		g.Expect(hex.EncodeToString(sum[:])).To(Equal(sha), c)
		var doc struct {
			ChainID  string `json:"chain_id"`
			AppState struct {
				Genutil struct {
					GenTxs []json.RawMessage `json:"gen_txs"`
				} `json:"genutil"`
			} `json:"app_state"`
		}
		g.Expect(json.Unmarshal([]byte(cm.Data["genesis.json"]), &doc)).To(Succeed())
		g.Expect(doc.ChainID).To(Equal("vec-1"))
		g.Expect(doc.AppState.Genutil.GenTxs).To(HaveLen(5))

		// The nodes started from it own it, so it goes with the last of them.
		copies := &seiv1alpha1.SeiNodeList{}
		g.Expect(fleet.Member(c).Client.List(ctx, copies, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelDeployment: "net"})).To(Succeed())
		var want, owners []types.UID
		for _, n := range copies.Items {
			want = append(want, n.UID)
		}
		for _, o := range cm.OwnerReferences {
			owners = append(owners, o.UID)
		}
		g.Expect(want).NotTo(BeEmpty())
		g.Expect(owners).To(ConsistOf(want), c)
	}

	// Every node's peers are the other validators by nodeID@address (the external one included).
	for _, r := range recs {
		g.Expect(r.Status.GenesisSHA256).To(Equal(sha), r.Name)
		g.Expect(r.Spec.Peers).To(HaveLen(4), r.Name)
		for id, addr := range addresses {
			if id == r.Status.NodeID {
				g.Expect(r.Spec.Peers).NotTo(ContainElement(HavePrefix(id)), "a node is not its own peer")
				continue
			}
			g.Expect(r.Spec.Peers).To(ContainElement(id+"@"+addr), r.Name)
		}
		g.Expect(r.Spec.Peers).To(ContainElement("8d8170f61cb6b9208e4a8d52d79103e4de27e288@10.1.2.3:26656"), "the external validator")
	}

	// An image rollout never takes 1/3 or more of the voting power down: one validator at a time here.
	watch := watchRollout(t, ns, "net")
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Image = "seid:v2" })
	g.Eventually(updatedReplicas(t, key)).WithTimeout(120 * time.Second).Should(Equal(int32(4)))
	g.Eventually(readyCount(t, key)).WithTimeout(30 * time.Second).Should(Equal("4/4"))
	order, maxDown := watch()
	g.Expect(order).To(HaveLen(4))
	g.Expect(maxDown).To(Equal(1), "two validators down at once would be 20 of 50 voting power, over a third: never")
	g.Expect(getDeployment(t, key).Status.Genesis.SHA256).To(Equal(sha), "a rollout keeps the genesis")

	// No private key material on the hub or in any log line.
	var needles []string
	for _, r := range recs {
		needles = append(needles, keyMaterial(t, r)...)
	}
	g.Expect(len(needles)).To(BeNumerically(">=", 4*8))
	findings, scanned, err := framework.ScanCluster(ctx, fleet.Hub.Config, needles)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(scanned).To(BeNumerically(">", 50), "the scan covered the hub's objects")
	g.Expect(findings).To(BeEmpty(), "private key material on the hub")
	logs := local.Logs.String()
	g.Expect(len(logs)).To(BeNumerically(">", 10000), "verbose logs were captured")
	g.Expect(framework.ScanText(logs, needles)).To(BeEmpty(), "private key material in the hub's or agents' logs")
	// The scan is not vacuous: a canary holding one needle on the hub is found.
	canary := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "canary"}, Data: map[string]string{"x": needles[0]}}
	g.Expect(fleet.Hub.Client.Create(ctx, canary)).To(Succeed())
	findings, _, err = framework.ScanCluster(ctx, fleet.Hub.Config, needles)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(findings).To(ConsistOf(framework.Finding{Resource: "configmaps", Namespace: ns, Name: "canary", Needle: "needle #0"}))
	g.Expect(fleet.Hub.Client.Delete(ctx, canary)).To(Succeed())
}

// keyMaterial reads a validator's private keys from the Secrets on its member and returns the strings
// a leak would show: private keys in base64 and hex (whole and seed), the mnemonic and its first words.
func keyMaterial(t *testing.T, rec seiv1alpha1.SeiNode) []string {
	t.Helper()
	g := NewWithT(t)
	m := fleet.Member(rec.Spec.ClusterName)
	var out []string
	for _, s := range []struct{ name, key string }{{"-node-key", "node_key.json"}, {"-signing-key", "priv_validator_key.json"}} {
		secret := &corev1.Secret{}
		g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: rec.Namespace, Name: rec.Name + s.name}, secret)).To(Succeed())
		var file struct {
			PrivKey struct {
				Value string `json:"value"`
			} `json:"priv_key"`
		}
		g.Expect(json.Unmarshal(secret.Data[s.key], &file)).To(Succeed())
		raw, err := base64.StdEncoding.DecodeString(file.PrivKey.Value)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(raw).To(HaveLen(64))
		out = append(out, file.PrivKey.Value, hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw[:32]), hex.EncodeToString(raw[:32]))
	}
	secret := &corev1.Secret{}
	g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: rec.Namespace, Name: rec.Name + "-operator-key"}, secret)).To(Succeed())
	words := strings.Fields(string(secret.Data["mnemonic"]))
	g.Expect(words).To(HaveLen(24))
	return append(out, strings.Join(words, " "), strings.Join(words[:5], " "))
}
