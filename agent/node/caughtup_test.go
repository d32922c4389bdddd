package node_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// chain is a node's seid as its RPC answers: the height grows on every read unless frozen.
type chain struct {
	height     atomic.Int64
	catchingUp atomic.Bool
	frozen     atomic.Bool
}

func (c *chain) read(context.Context, *seiv1alpha1.SeiNode) (node.ChainStatus, error) {
	h := c.height.Load()
	if !c.frozen.Load() {
		h = c.height.Add(1)
	}
	return node.ChainStatus{Height: h, CatchingUp: c.catchingUp.Load()}, nil
}

// A node is Ready only while seid is caught up and its height advances: not while it catches up, and
// not once its height stands still for the stall window.
func TestReadyWaitsForCaughtUp(t *testing.T) {
	g := NewWithT(t)
	c := &chain{}
	c.catchingUp.Store(true)
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	startAgent(t, agentOpts{sidecars: sidecars, height: c.read, stallAfter: 2 * time.Second})
	key := create(t, fullNode(namespace(t), "joining"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	condition := func(typ string) func() metav1.Condition {
		return func() metav1.Condition {
			if c := meta.FindStatusCondition(get(t, key).Status.Conditions, typ); c != nil {
				return *c
			}
			return metav1.Condition{}
		}
	}
	is := func(status metav1.ConditionStatus, reason string) OmegaMatcher {
		return And(HaveField("Status", status), HaveField("Reason", reason))
	}
	g.Eventually(condition(seiv1alpha1.NodeCaughtUp)).Should(is(metav1.ConditionFalse, seiv1alpha1.ReasonCatchingUp))
	g.Consistently(condition(seiv1alpha1.NodeReady)).WithTimeout(2*time.Second).Should(is(metav1.ConditionFalse, seiv1alpha1.ReasonCatchingUp),
		"a node still catching up is not Ready, however fast its height grows")
	g.Expect(get(t, key).Status.Height).To(BeNumerically(">", 1))

	c.catchingUp.Store(false)
	g.Eventually(condition(seiv1alpha1.NodeCaughtUp)).WithTimeout(10 * time.Second).Should(is(metav1.ConditionTrue, seiv1alpha1.ReasonCaughtUp))
	g.Eventually(condition(seiv1alpha1.NodeReady)).Should(is(metav1.ConditionTrue, seiv1alpha1.ReasonRunning))

	c.frozen.Store(true)
	g.Eventually(condition(seiv1alpha1.NodeCaughtUp)).WithTimeout(10 * time.Second).Should(is(metav1.ConditionFalse, seiv1alpha1.ReasonHeightStalled))
	g.Expect(condition(seiv1alpha1.NodeReady)()).To(is(metav1.ConditionFalse, seiv1alpha1.ReasonHeightStalled), "a stalled node is not Ready")

	c.frozen.Store(false)
	g.Eventually(condition(seiv1alpha1.NodeReady)).WithTimeout(10 * time.Second).Should(is(metav1.ConditionTrue, seiv1alpha1.ReasonRunning))
}

// Without height reads (--height-interval=0) CaughtUp is Unknown and Ready does not wait for it.
func TestReadyWithoutHeightReads(t *testing.T) {
	g := NewWithT(t)
	startAgentWithSidecars(t)
	key := create(t, fullNode(namespace(t), "unwatched"))
	g.Eventually(func() bool { return meta.IsStatusConditionTrue(get(t, key).Status.Conditions, seiv1alpha1.NodeReady) }).
		WithTimeout(60 * time.Second).Should(BeTrue())
	c := meta.FindStatusCondition(get(t, key).Status.Conditions, seiv1alpha1.NodeCaughtUp)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionUnknown))
	g.Expect(c.Reason).To(Equal(seiv1alpha1.ReasonNotObserved))
}
