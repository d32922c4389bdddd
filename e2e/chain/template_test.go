//go:build chain

package chain

import (
	"regexp"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/genesis"
)

// volatile matches the genesis fields seid init stamps with its clock or
// arguments; assembly overwrites all of them.
var volatile = regexp.MustCompile(`"(genesis_time|chain_id|current_epoch_start_time)": "[^"]*"`)

// TestTemplateMatchesSeidInit checks that the embedded template is what this
// seid's `init` writes (else run hack/gen-genesis-template.sh).
func TestTemplateMatchesSeidInit(t *testing.T) {
	g := NewWithT(t)
	s := requireSeid(t)
	home := initHome(t, s, "tpl-1")
	fresh := readFile(t, home, "config/genesis.json")
	norm := func(b []byte) string { return volatile.ReplaceAllString(string(b), `"$1": "-"`) }
	g.Expect(volatile.FindAllString(string(fresh), -1)).To(HaveLen(4))
	g.Expect(norm(genesis.DefaultTemplate())).To(Equal(norm(fresh)),
		"the embedded template is stale; run hack/gen-genesis-template.sh")
}
