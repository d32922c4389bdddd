package mirror

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
)

type health map[string]clusters.Health

func (h health) Get(name string) (clusters.Health, bool) { c, ok := h[name]; return c, ok }

func TestUnansweredTrustsOnlyAMemberWhoseAPIAnswers(t *testing.T) {
	since := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Reconciler{Health: health{
		"ok":      {Engaged: true, APIReachable: true, Healthy: true, Reason: clusters.ReasonHealthy},
		"tainted": {Engaged: true, APIReachable: true, Reason: clusters.ReasonTainted, UnhealthySince: &since},
		"hung":    {Engaged: true, Reason: clusters.ReasonAPIUnreachable, Message: "read heartbeat Lease: timeout", UnhealthySince: &since},
		"hidden":  {Engaged: true, Reason: clusters.ReasonTainted, Message: "the cluster has taint x", UnhealthySince: &since},
		"gone":    {Reason: clusters.ReasonNotEngaged, Message: "no kubeconfig Secret", UnhealthySince: &since},
	}}
	for _, tc := range []struct {
		cluster string
		want    string
	}{
		{"ok", ""},
		{"tainted", ""},    // unhealthy for placement, yet readable: its nodes' status is current
		{"not-probed", ""}, // no verdict yet: the requests themselves tell
		{"hung", "member cluster hung does not answer the hub: read heartbeat Lease: timeout"},
		{"hidden", "member cluster hidden does not answer the hub: the cluster has taint x"},
		{"gone", "member cluster gone does not answer the hub: no kubeconfig Secret"},
	} {
		g := NewWithT(t)
		msg, at := r.unanswered(tc.cluster)
		g.Expect(msg).To(Equal(tc.want), tc.cluster)
		if tc.want != "" {
			g.Expect(at).To(HaveValue(Equal(since)), tc.cluster)
		}
	}
	g := NewWithT(t)
	msg, _ := (&Reconciler{}).unanswered("hung")
	g.Expect(msg).To(BeEmpty(), "without a monitor, only failed requests count")
}

// A record whose member cannot be read says Unknown, since when and what it last was, and keeps the
// rest of what the member last reported; the member's next status replaces all of it.
func TestUnreachableMarksTheRecordUnknownUntilTheMemberAnswers(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2030, 1, 2, 3, 9, 0, 0, time.UTC)
	r := &Reconciler{Now: func() time.Time { return now }}
	rec := &seiv1alpha1.SeiNode{Spec: seiv1alpha1.SeiNodeSpec{ClusterName: "ap"}}
	rec.Generation = 3
	rec.Status = seiv1alpha1.SeiNodeStatus{Phase: seiv1alpha1.NodeRunning, CurrentImage: "seid:v1", Height: 42}
	meta.SetStatusCondition(&rec.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeReady, Status: metav1.ConditionTrue, Reason: seiv1alpha1.ReasonRunning})
	meta.SetStatusCondition(&rec.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeCaughtUp, Status: metav1.ConditionTrue, Reason: seiv1alpha1.ReasonCaughtUp})
	memberStatus := *rec.Status.DeepCopy()

	since := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r.unreachable(rec, "member cluster ap does not answer the hub", &since)
	g.Expect(rec.Status.Phase).To(Equal(seiv1alpha1.NodeUnknown))
	g.Expect(rec.Status.PhaseTransitionTime.Time).To(Equal(since))
	g.Expect(rec.Status.CurrentImage).To(Equal("seid:v1"))
	g.Expect(rec.Status.Height).To(Equal(int64(42)), "the last reported height stays, as last reported")
	ready := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionUnknown))
	g.Expect(ready.Reason).To(Equal(seiv1alpha1.ReasonMemberUnreachable))
	g.Expect(ready.LastTransitionTime.Time).To(Equal(since))
	g.Expect(ready.Message).To(Equal("the hub cannot read the node on ap since 2030-01-02T03:04:05Z (last reported phase Running): member cluster ap does not answer the hub"))
	caughtUp := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeCaughtUp)
	g.Expect(caughtUp.Status).To(Equal(metav1.ConditionUnknown), "a height last seen advancing says nothing of now")
	g.Expect(caughtUp.Reason).To(Equal(seiv1alpha1.ReasonMemberUnreachable))
	synced := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced)
	g.Expect(synced.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(synced.Reason).To(Equal(seiv1alpha1.ReasonMemberUnreachable))

	// Later failures keep when it started and what the phase was.
	r.unreachable(rec, "read member copy: timeout", nil)
	g.Expect(rec.Status.PhaseTransitionTime.Time).To(Equal(since))
	g.Expect(meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeReady).Message).To(ContainSubstring("last reported phase Running"))
	g.Expect(meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced).Message).To(Equal("read member copy: timeout"))

	// Without a probe's time, now.
	fresh := &seiv1alpha1.SeiNode{Spec: seiv1alpha1.SeiNodeSpec{ClusterName: "ap"}}
	r.unreachable(fresh, "x", nil)
	g.Expect(fresh.Status.PhaseTransitionTime.Time).To(Equal(now))
	g.Expect(meta.FindStatusCondition(fresh.Status.Conditions, seiv1alpha1.NodeReady).Message).To(ContainSubstring("last reported phase not reported"))

	// The member answers: its status, with the hub's own condition.
	copyStatus(rec, &seiv1alpha1.SeiNode{Status: memberStatus})
	g.Expect(rec.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
	g.Expect(meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeReady)).To(BeTrue())
	g.Expect(meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced)).NotTo(BeNil())
}
