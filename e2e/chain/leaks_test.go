//go:build chain

package chain

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// needle is a form in which a private key could leak.
type needle struct{ what, text string }

// keyNeedles lists every form of n's private keys worth looking for: the Secret payloads as they are
// and base64-encoded (as a Secret or a []byte field serializes them), and the raw ed25519 private keys
// (seed and seed‖public) in base64 and hex. base64 without padding also matches padded text.
func keyNeedles(t *testing.T, n fleetNode) []needle {
	t.Helper()
	b64 := base64.RawStdEncoding.EncodeToString
	out := []needle{
		{n.name + " mnemonic", strings.Join(strings.Fields(string(n.mnemonic)), " ")},
		{n.name + " mnemonic (base64)", b64(n.mnemonic)},
		{n.name + " node_key.json (base64)", b64(n.nodeKeyJSON)},
		{n.name + " priv_validator_key.json (base64)", b64(n.signingKeyJSON)},
	}
	for _, k := range []struct {
		what string
		file []byte
	}{{"node key", n.nodeKeyJSON}, {"consensus key", n.signingKeyJSON}} {
		var f struct {
			PrivKey struct {
				Value []byte `json:"value"`
			} `json:"priv_key"`
		}
		if err := json.Unmarshal(k.file, &f); err != nil || len(f.PrivKey.Value) != 64 {
			t.Fatalf("%s of %s: no 64-byte ed25519 private key (%v)", k.what, n.name, err)
		}
		for _, part := range []struct {
			what  string
			bytes []byte
		}{{"private key", f.PrivKey.Value}, {"seed", f.PrivKey.Value[:32]}} {
			what := fmt.Sprintf("%s %s %s", n.name, k.what, part.what)
			out = append(out,
				needle{what + " (base64)", b64(part.bytes)},
				needle{what + " (base64url)", base64.RawURLEncoding.EncodeToString(part.bytes)},
				needle{what + " (hex)", hex.EncodeToString(part.bytes)},
				needle{what + " (HEX)", strings.ToUpper(hex.EncodeToString(part.bytes))})
		}
	}
	return out
}

// found returns what of needles occurs in text.
func found(text string, needles []needle) []string {
	var hits []string
	for _, n := range needles {
		if strings.Contains(text, n.text) {
			hits = append(hits, n.what)
		}
	}
	return hits
}

// dumpCluster serializes every object of every resource type a cluster serves and can list, in all
// namespaces, as JSON; it also returns how many types and objects it read.
func dumpCluster(t *testing.T, cfg *rest.Config) (dump string, types, objects int) {
	t.Helper()
	g := NewWithT(t)
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	dyn, err := dynamic.NewForConfig(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	lists, err := dc.ServerPreferredResources()
	g.Expect(err).NotTo(HaveOccurred(), "discovery of every served group")
	var b strings.Builder
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		g.Expect(err).NotTo(HaveOccurred())
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue // subresources, and types that cannot be listed (reviews, bindings)
			}
			objs, err := dyn.Resource(gv.WithResource(r.Name)).List(t.Context(), metav1.ListOptions{})
			g.Expect(err).NotTo(HaveOccurred(), "list %s %s", list.GroupVersion, r.Name)
			raw, err := json.Marshal(objs)
			g.Expect(err).NotTo(HaveOccurred())
			b.Write(raw)
			b.WriteByte('\n')
			types++
			objects += len(objs.Items)
		}
	}
	return b.String(), types, objects
}

// assertNoKeyLeaks checks that no private key of nodes appears in any object on the hub nor in any
// log line of the hub and the agents. Positive controls make sure neither scan can pass vacuously:
// the hub dump holds the nodes' public identities, the logs are the fleet's, and the same needles do
// find the keys in the member Secrets that hold them.
func (s *sharedFleet) assertNoKeyLeaks(t *testing.T, ns string, nodes []fleetNode) {
	t.Helper()
	g := NewWithT(t)
	var needles []needle
	for _, n := range nodes {
		needles = append(needles, keyNeedles(t, n)...)
	}

	dump, types, objects := dumpCluster(t, s.fleet.Hub.Config)
	g.Expect(found(dump, needles)).To(BeEmpty(), "private keys in hub objects")
	// (Controls use strings.Contains: a failure must not print megabytes.)
	for _, n := range nodes {
		g.Expect(strings.Contains(dump, n.node.ID())).To(BeTrue(), "control: the hub holds %s's node ID", n.name)
		g.Expect(strings.Contains(dump, n.cons.PubKeyBase64())).To(BeTrue(), "control: the hub holds %s's consensus public key", n.name)
	}

	lines := logs.String()
	g.Expect(found(lines, needles)).To(BeEmpty(), "private keys in hub or agent logs")
	g.Expect(strings.Contains(lines, `"agent/`+nodes[0].cluster) && strings.Contains(lines, ns)).To(BeTrue(),
		"control: the logs hold the agents' lines about this ceremony")

	for _, n := range nodes {
		g.Expect(found(s.memberSecrets(t, n, ns), keyNeedles(t, n))).To(ContainElements(
			n.name+" mnemonic (base64)", n.name+" node_key.json (base64)", n.name+" priv_validator_key.json (base64)"),
			"control: the needles find %s's keys in its member's Secrets", n.name)
	}
	t.Logf("no private key of %d validators (%d forms) in %d objects of %d resource types on the hub, nor in %d KiB of logs",
		len(nodes), len(needles), objects, types, len(lines)/1024)
}

// memberSecrets serializes the Secrets of namespace ns on n's member as JSON.
func (s *sharedFleet) memberSecrets(t *testing.T, n fleetNode, ns string) string {
	t.Helper()
	g := NewWithT(t)
	dyn, err := dynamic.NewForConfig(s.fleet.Member(n.cluster).Config)
	g.Expect(err).NotTo(HaveOccurred())
	objs, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns).List(t.Context(), metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := json.Marshal(objs)
	g.Expect(err).NotTo(HaveOccurred())
	return string(raw)
}
