package kube_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/internal/kube"
)

func TestSetConditionKeepsTransitionTimeUntilTheStatusChanges(t *testing.T) {
	g := NewWithT(t)
	var conds []metav1.Condition
	kube.SetCondition(&conds, 3, "Ready", false, "Pending", "waiting")
	c := meta.FindStatusCondition(conds, "Ready")
	g.Expect(*c).To(MatchFields(IgnoreExtras, Fields{
		"Status": Equal(metav1.ConditionFalse), "Reason": Equal("Pending"), "Message": Equal("waiting"), "ObservedGeneration": Equal(int64(3)),
	}))
	since := metav1.NewTime(c.LastTransitionTime.Add(-time.Hour))
	conds[0].LastTransitionTime = since

	kube.SetCondition(&conds, 4, "Ready", false, "Pending", "still waiting")
	g.Expect(conds).To(HaveLen(1))
	g.Expect(conds[0].LastTransitionTime).To(Equal(since), "same status: no transition")
	g.Expect(conds[0].ObservedGeneration).To(Equal(int64(4)))

	kube.SetCondition(&conds, 4, "Ready", true, "Running", "")
	g.Expect(conds[0].Status).To(Equal(metav1.ConditionTrue))
	g.Expect(conds[0].LastTransitionTime).NotTo(Equal(since))
}
