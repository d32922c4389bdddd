package node

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// read is one height read for judge: an answer, or an error, some time after the start.
type read struct {
	at    time.Duration
	st    ChainStatus
	err   error
	want  string // the reason CaughtUp then has; "" when the read leaves it as it was
	wantT bool   // CaughtUp is True
}

func TestJudgeCaughtUp(t *testing.T) {
	const stall = time.Minute
	down := errors.New("connection refused")
	for name, reads := range map[string][]read{
		"a restarted seid is caught up only once its height advances": {
			{at: 0, err: down, want: seiv1alpha1.ReasonWaitingForBlocks},
			{at: 5 * time.Second, st: ChainStatus{Height: 100}, want: seiv1alpha1.ReasonWaitingForBlocks},
			{at: 10 * time.Second, st: ChainStatus{Height: 100}, want: seiv1alpha1.ReasonWaitingForBlocks},
			{at: 15 * time.Second, st: ChainStatus{Height: 103}, want: seiv1alpha1.ReasonCaughtUp, wantT: true},
		},
		"catching up is not caught up, however fast the height grows": {
			{at: 0, st: ChainStatus{Height: 10, CatchingUp: true}, want: seiv1alpha1.ReasonCatchingUp},
			{at: 5 * time.Second, st: ChainStatus{Height: 5000, CatchingUp: true}, want: seiv1alpha1.ReasonCatchingUp},
			{at: 10 * time.Second, st: ChainStatus{Height: 9000}, want: seiv1alpha1.ReasonCaughtUp, wantT: true},
		},
		"a height that stands still past the window stalls": {
			{at: 0, st: ChainStatus{Height: 7}},
			{at: time.Second, st: ChainStatus{Height: 8}, want: seiv1alpha1.ReasonCaughtUp, wantT: true},
			{at: 50 * time.Second, st: ChainStatus{Height: 8}, want: seiv1alpha1.ReasonCaughtUp, wantT: true},
			{at: 62 * time.Second, st: ChainStatus{Height: 8}, want: seiv1alpha1.ReasonHeightStalled},
			{at: 63 * time.Second, st: ChainStatus{Height: 9}, want: seiv1alpha1.ReasonCaughtUp, wantT: true},
		},
		"one lost answer keeps a caught-up node caught up; a silent RPC past the window does not": {
			{at: 0, st: ChainStatus{Height: 7}},
			{at: time.Second, st: ChainStatus{Height: 8}, want: seiv1alpha1.ReasonCaughtUp, wantT: true},
			{at: 30 * time.Second, err: down},
			{at: 62 * time.Second, err: down, want: seiv1alpha1.ReasonHeightStalled},
		},
		"a node that never advances stalls": {
			{at: 0, st: ChainStatus{Height: 7}, want: seiv1alpha1.ReasonWaitingForBlocks},
			{at: 61 * time.Second, st: ChainStatus{Height: 7}, want: seiv1alpha1.ReasonHeightStalled},
		},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			start := time.Unix(1_700_000_000, 0)
			p := progress{since: start}
			for i, r := range reads {
				var v verdict
				var keep bool
				p, v, keep = judge(p, r.st, r.err, start.Add(r.at), stall)
				if r.want == "" {
					continue
				}
				g.Expect(keep).To(BeFalse(), "read %d", i)
				g.Expect(v.reason).To(Equal(r.want), "read %d: %s", i, v.message)
				g.Expect(v.status == metav1.ConditionTrue).To(Equal(r.wantT), "read %d", i)
			}
		})
	}
}

func TestLostAnswerKeepsTheCondition(t *testing.T) {
	g := NewWithT(t)
	start := time.Unix(1_700_000_000, 0)
	p := progress{since: start, height: 8, advanced: true}
	_, _, keep := judge(p, ChainStatus{}, errors.New("timeout"), start.Add(10*time.Second), time.Minute)
	g.Expect(keep).To(BeTrue())
}
