package nodeconfig

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestSuggest(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"p2p.max-connections", []string{"network.p2p.max_connections"}},
		{"log-level", []string{"logging.level"}},
		{"p2p.max-num-inbound-peers", []string{"network.p2p.max_connections"}},
		{"logging.levl", []string{"logging.level"}},
		{"P2P Port", nil},
	} {
		NewWithT(t).Expect(Suggest(tc.key)).To(Equal(tc.want), tc.key)
	}
}

func TestSuggestOffersAtMostThreeKeysAndNoRefusedOnes(t *testing.T) {
	g := NewWithT(t)
	s := Suggest("enable")
	g.Expect(len(s)).To(BeNumerically("<=", maxSuggestions))
	g.Expect(len(s)).To(BeNumerically(">", 0))
	for _, k := range Suggest("p2p.persistent_peers") {
		_, refused := Refused(k)
		g.Expect(refused).To(BeFalse(), k)
	}
}
