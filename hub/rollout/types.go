package rollout

import (
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sei-protocol/sei-fleet/internal/fraction"
)

// Node is one node of the deployment as the rollout sees it.
type Node struct {
	Name    string
	Ordinal int
	// Domain is the node's topology domain; nodes with an empty domain form one group.
	Domain string
	// Power is the node's voting power; only read for validators.
	Power int64
	// CurrentRevision is what the node runs (an image and template hash); DesiredRevision is the target.
	CurrentRevision, DesiredRevision string
	// Ready: the node runs and its sidecar reports ready.
	Ready bool
	// Updating: an update of this node is in progress.
	Updating bool
}

// updated reports whether the node runs the desired revision.
func (n Node) updated() bool { return n.CurrentRevision == n.DesiredRevision }

// unavailable nodes count against maxUnavailable and, for validators, the power cap.
func (n Node) unavailable() bool { return !n.Ready || n.Updating }

// done nodes need nothing more from this rollout.
func (n Node) done() bool { return n.updated() && n.Ready && !n.Updating }

// startable nodes may be told to update: on the old revision and not already updating.
func (n Node) startable() bool { return !n.updated() && !n.Updating }

// Fraction is an exact ratio Num/Den in (0, 1]. Unlike placement's maxVotingPowerFraction, a power cap of 1
// is not "no cap": the whole power may never be down at once.
type Fraction = fraction.Fraction

// DefaultPowerCap is the BFT limit: a Tendermint chain halts when 1/3 or more of its voting power is down.
var DefaultPowerCap = Fraction{Num: 1, Den: 3}

// Input is everything Plan needs to know.
type Input struct {
	// Nodes is every node of the deployment; order does not matter, names must be unique.
	Nodes []Node
	// MaxUnavailable is a count (at least 1) or a percentage of len(Nodes), rounded down and at least 1;
	// nil means 1.
	MaxUnavailable *intstr.IntOrString
	// ByTopology finishes one domain before starting the next.
	ByTopology bool
	// Validators turns on the voting power cap.
	Validators bool
	// ExternalPower is the voting power of validators outside the fleet. It counts in the total and is
	// assumed available, since the fleet cannot see it; pass 0 to be conservative.
	ExternalPower int64
	// PowerCap bounds the unavailable share of the total voting power, strictly; zero means DefaultPowerCap.
	PowerCap Fraction
}

// Step is what to do now.
type Step struct {
	// Update names the nodes to start updating now, in rollout order.
	Update []string
	// Waiting says, for each node that still needs something from this rollout and is not in Update, why
	// it waits: in progress, not ready yet, over a budget, or behind another domain.
	Waiting map[string]string
	// Complete: every node runs the desired revision and is ready.
	Complete bool
	// Domain is the domain being rolled when ByTopology, empty otherwise or when complete.
	Domain string
	// MaxUnavailable is the resolved budget; Unavailable counts unavailable nodes once Update has started.
	MaxUnavailable, Unavailable int
	// UnavailablePower and TotalPower are the voting power down once Update has started, and the total;
	// zero unless Validators.
	UnavailablePower, TotalPower int64
	// Stalled is set when nothing can start and nothing is in flight that could change that: the rollout
	// needs a person. It says why.
	Stalled string
}
