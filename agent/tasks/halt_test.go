package tasks

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// seid's last lines when it stops at its halt-height (from a real node, trimmed).
const haltedLog = `2026-12-07T13:20:01.797188098Z stdout F time=2026-12-07T13:20:01.797Z level=INFO msg="finalized block" logger=tendermint/internal/state height=442 latency_ms=1
2026-12-07T13:20:01.803024413Z stdout F time=2026-12-07T13:20:01.802Z level=INFO msg="halting node per configuration" logger=cosmos/baseapp height=442 time=0
`

// The sidecar's wait can miss the moment (seid stops right after the block); the halted run's own
// log is the second witness, read only once the kubelet ran the container again.
func TestAwaitHaltReadsTheHaltedRunsLog(t *testing.T) {
	g := NewWithT(t)
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	srv.HangTask(sidecar.TaskTypeAwaitCondition) // the sidecar never saw the height
	node := &seiv1alpha1.SeiNode{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
		Spec: seiv1alpha1.SeiNodeSpec{FullNode: &seiv1alpha1.FullNodeSpec{}, HaltHeight: 442}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: resources.PodName(node), Namespace: "ns"}}
	scheme := runtime.NewScheme()
	g.Expect(corev1.AddToScheme(scheme)).To(Succeed())
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(pod).WithStatusSubresource(pod).Build()
	log := haltedLog
	reads := 0
	env := &Env{Node: node, Sidecar: sidecar.New(srv.URL()), Reader: reader,
		Logs: func(_ context.Context, ns, name, container string, _ int64) (string, error) {
			reads++
			g.Expect([]string{ns, name, container}).To(Equal([]string{"ns", pod.Name, resources.ContainerSeid}))
			return log, nil
		}}
	plan, err := planner.NewPlan("p", "await-halt", []planner.Step{{Type: TypeAwaitHalt, Params: HaltTarget{Height: 442}}}, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	plan.Tasks[0].ID = uuid.NewString()
	run := func() planner.Result {
		task, err := awaitHalt(env, &plan.Tasks[0])
		g.Expect(err).NotTo(HaveOccurred())
		res, err := task.Run(t.Context())
		g.Expect(err).NotTo(HaveOccurred())
		return res
	}

	g.Expect(run().Done).To(BeFalse(), "seid still runs: no previous run")
	g.Expect(reads).To(BeZero())

	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: resources.ContainerSeid, RestartCount: 1,
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}
	g.Expect(reader.Status().Update(t.Context(), pod)).To(Succeed())
	log = "...\nsome other exit\n"
	g.Expect(run().Done).To(BeFalse(), "a restart for another reason is no halt")
	log = strings.ReplaceAll(haltedLog, "height=442", "height=441")
	g.Expect(run().Done).To(BeFalse(), "a halt at another height is not this one")
	log = haltedLog
	g.Expect(run().Done).To(BeTrue(), "the halted run logged its halt at the height")
}

// The start script's termination message (it found seid stopped at its halt-height) is the witness
// where the kubelet serves no logs, read from the pod's status alone.
func TestAwaitHaltReadsTheTerminationMessage(t *testing.T) {
	g := NewWithT(t)
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	srv.HangTask(sidecar.TaskTypeAwaitCondition)
	node := &seiv1alpha1.SeiNode{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
		Spec: seiv1alpha1.SeiNodeSpec{FullNode: &seiv1alpha1.FullNodeSpec{}, HaltHeight: 442}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: resources.PodName(node), Namespace: "ns"},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: resources.ContainerSeid, RestartCount: 2,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: resources.ExitHalted,
				Message: "seid halted at height 442 (halt-height 442)\n"}}}}}}
	scheme := runtime.NewScheme()
	g.Expect(corev1.AddToScheme(scheme)).To(Succeed())
	env := &Env{Node: node, Sidecar: sidecar.New(srv.URL()), Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(pod).Build()}
	plan, err := planner.NewPlan("p", "await-halt", []planner.Step{{Type: TypeAwaitHalt, Params: HaltTarget{Height: 442}}}, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	plan.Tasks[0].ID = uuid.NewString()
	task, err := awaitHalt(env, &plan.Tasks[0])
	g.Expect(err).NotTo(HaveOccurred())
	res, err := task.Run(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Done).To(BeTrue())

	node.Spec.HaltHeight = 500
	plan, _ = planner.NewPlan("p", "await-halt", []planner.Step{{Type: TypeAwaitHalt, Params: HaltTarget{Height: 500}}}, "", "")
	plan.Tasks[0].ID = uuid.NewString()
	task, _ = awaitHalt(env, &plan.Tasks[0])
	res, err = task.Run(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Done).To(BeFalse(), "an older halt is not this one")
}
