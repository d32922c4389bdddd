package rollout

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// advance simulates the world between two steps: every node in flight (started now or updating) comes up
// on the desired revision and ready, except broken ones, which come up on it but never become ready.
func advance(nodes []Node, step Step, broken map[string]bool) []Node {
	out := slices.Clone(nodes)
	for i, n := range out {
		if !slices.Contains(step.Update, n.Name) && !n.Updating {
			continue
		}
		out[i].CurrentRevision, out[i].Updating, out[i].Ready = n.DesiredRevision, false, !broken[n.Name]
	}
	return out
}

// replay runs a rollout to its end and logs every step.
func replay(t *testing.T, in Input, broken map[string]bool) string {
	var log strings.Builder
	for stepNo := 1; stepNo <= len(in.Nodes)+2; stepNo++ {
		step, err := Plan(in)
		if err != nil {
			t.Fatalf("step %d: %v", stepNo, err)
		}
		fmt.Fprintf(&log, "step %d", stepNo)
		if step.Domain != "" {
			fmt.Fprintf(&log, " [domain %s]", step.Domain)
		}
		switch {
		case step.Complete:
			log.WriteString(": complete\n")
			return log.String()
		case len(step.Update) > 0:
			fmt.Fprintf(&log, ": update %s", strings.Join(step.Update, ", "))
		default:
			log.WriteString(": nothing to start")
		}
		fmt.Fprintf(&log, " (unavailable %d/%d", step.Unavailable, step.MaxUnavailable)
		if in.Validators {
			fmt.Fprintf(&log, ", power %d/%d", step.UnavailablePower, step.TotalPower)
		}
		log.WriteString(")\n")
		for _, n := range in.Nodes {
			if why, ok := step.Waiting[n.Name]; ok {
				fmt.Fprintf(&log, "  %s: %s\n", n.Name, why)
			}
		}
		if step.Stalled != "" {
			fmt.Fprintf(&log, "stalled: %s\n", step.Stalled)
			return log.String()
		}
		next := advance(in.Nodes, step, broken)
		if slices.Equal(next, in.Nodes) {
			log.WriteString("halted: no node changes any more\n")
			return log.String()
		}
		in.Nodes = next
	}
	t.Fatalf("rollout did not end")
	return ""
}

func TestPlanGolden(t *testing.T) {
	sixFull := fleet("full", 6, "ap", "eu", "us")
	notReady := slices.Clone(sixFull)
	notReady[4].Ready = false
	tests := []struct {
		name   string
		in     Input
		broken map[string]bool
	}{
		{name: "full-6-regions-3-max-1", in: Input{Nodes: sixFull, ByTopology: true}},
		{name: "full-6-regions-3-max-2", in: Input{Nodes: sixFull, ByTopology: true, MaxUnavailable: ptr.To(intstr.FromInt32(2))}},
		{name: "full-10-percent-25", in: Input{Nodes: fleet("full", 10, "ap", "eu"), MaxUnavailable: ptr.To(intstr.FromString("25%"))}},
		{name: "full-6-one-not-ready", in: Input{Nodes: notReady, ByTopology: true, MaxUnavailable: ptr.To(intstr.FromInt32(2))}},
		{name: "full-6-broken-image", in: Input{Nodes: sixFull, ByTopology: true, MaxUnavailable: ptr.To(intstr.FromInt32(2))},
			broken: map[string]bool{"full-3": true}},
		{name: "validators-4-regions-4", in: Input{Nodes: fleet("val", 4, "ap", "eu", "sa", "us"), ByTopology: true, Validators: true,
			MaxUnavailable: ptr.To(intstr.FromString("100%"))}},
		{name: "validators-7-domains-3", in: Input{Nodes: fleet("val", 7, "a", "b", "c"), ByTopology: true, Validators: true,
			MaxUnavailable: ptr.To(intstr.FromInt32(3))}},
		{name: "validators-3-stalled", in: Input{Nodes: fleet("val", 3, "a", "b", "c"), ByTopology: true, Validators: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := replay(t, tt.in, tt.broken)
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				g.Expect(os.WriteFile(path, []byte(got), 0o644)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred(), "run go test -update to create %s", path)
			g.Expect(got).To(Equal(string(want)))
		})
	}
}
