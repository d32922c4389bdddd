package heightcadence

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

func TestAHeightOnlyChangeWaitsForTheIntervalSinceTheLastHeightWritten(t *testing.T) {
	g := NewWithT(t)
	l := &Limiter{Interval: time.Minute}
	t0 := time.Unix(1000, 0)
	g.Expect(l.Wait("a", t0)).To(BeZero(), "nothing written yet: at once")
	l.Wrote("a", t0)
	g.Expect(l.Wait("a", t0.Add(20*time.Second))).To(Equal(40 * time.Second))
	g.Expect(l.Wait("b", t0.Add(20*time.Second))).To(BeZero(), "objects are apart")
	g.Expect(l.Wait("a", t0.Add(time.Minute))).To(BeZero())
	l.Wrote("a", t0.Add(70*time.Second))
	g.Expect(l.Wait("a", t0.Add(80*time.Second))).To(Equal(50 * time.Second))
}

func TestNoIntervalHoldsNothing(t *testing.T) {
	g := NewWithT(t)
	var nilLimiter *Limiter
	nilLimiter.Wrote("a", time.Now())
	g.Expect(nilLimiter.Wait("a", time.Now())).To(BeZero())
	l := &Limiter{}
	l.Wrote("a", time.Now())
	g.Expect(l.Wait("a", time.Now())).To(BeZero())
}

func TestExpiredEntriesAreDropped(t *testing.T) {
	g := NewWithT(t)
	l := &Limiter{Interval: time.Second}
	t0 := time.Unix(1000, 0)
	for i := range 5000 {
		l.Wrote(types.UID(fmt.Sprint(i)), t0.Add(time.Duration(i)*time.Millisecond))
	}
	// Entries are pruned when the map reaches its threshold; only those within the interval survive.
	g.Expect(len(l.last)).To(BeNumerically("<", 3000))
	g.Expect(l.Wait("4999", t0.Add(5*time.Second))).To(Equal(999 * time.Millisecond))
}
