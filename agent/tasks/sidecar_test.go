package tasks

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

func TestConfigApplySendsOnlyOverridesTheSidecarTakes(t *testing.T) {
	g := NewWithT(t)
	node := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
		Spec: seiv1alpha1.SeiNodeSpec{Archive: &seiv1alpha1.ArchiveSpec{},
			NodeSettings: seiv1alpha1.NodeSettings{Overrides: map[string]string{"network.p2p.max_connections": "80"}}},
	}
	env := &Env{Node: node}
	raw, err := sidecarParams(env, sidecar.TaskTypeConfigApply)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"mode": "archive", "overrides": {"network.p2p.max_connections": "80"}}`))

	// The spec changed under a running plan.
	node.Spec.Overrides = map[string]string{"network.p2p.max_connections": "0x10", "p2p.max-num-inbound-peers": "80"}
	_, err = sidecarParams(env, sidecar.TaskTypeConfigApply)
	g.Expect(err).To(MatchError(And(
		ContainSubstring(`spec.overrides: override "network.p2p.max_connections": "0x10" is not a valid uint`),
		ContainSubstring(`; override "p2p.max-num-inbound-peers": unknown key`))))
}

// Whatever client a plan is handed, a validator's sidecar is never sent a task outside
// sidecar.ValidatorTaskTypes: the task fails the plan at once, and nothing reaches the sidecar.
func TestSidecarTaskRefusesDestructiveTasksOnValidators(t *testing.T) {
	g := NewWithT(t)
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	node := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: "val-0", Namespace: "ns"},
		Spec:       seiv1alpha1.SeiNodeSpec{Validator: &seiv1alpha1.ValidatorSpec{}},
	}
	env := &Env{Node: node, Sidecar: sidecar.New(srv.URL())} // an unguarded client
	planned := &seiv1alpha1.PlannedTask{ID: uuid.NewString(), Status: seiv1alpha1.TaskPending}
	task, err := sidecarTask(sidecar.TaskTypeResetData)(env, planned)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = task.Run(t.Context())
	g.Expect(planner.IsTerminal(err)).To(BeTrue(), "got %v", err)
	g.Expect(err).To(MatchError(sidecar.ErrRefusedTask))
	g.Expect(srv.Submissions(sidecar.TaskTypeResetData)).To(BeZero())

	// A full node's plan may send it.
	node.Spec.Validator, node.Spec.FullNode = nil, &seiv1alpha1.FullNodeSpec{}
	_, err = task.Run(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(srv.Submissions(sidecar.TaskTypeResetData)).To(Equal(1))
}

// config-apply writes the halt height with the node's own overrides; await-halt asks the sidecar
// for the height.
func TestHaltHeightSidecarParams(t *testing.T) {
	g := NewWithT(t)
	n := &seiv1alpha1.SeiNode{Spec: seiv1alpha1.SeiNodeSpec{FullNode: &seiv1alpha1.FullNodeSpec{}, HaltHeight: 100,
		NodeSettings: seiv1alpha1.NodeSettings{Overrides: map[string]string{"logging.level": "info"}}}}
	env := &Env{Node: n}
	raw, err := sidecarParams(env, sidecar.TaskTypeConfigApply)
	g.Expect(err).NotTo(HaveOccurred())
	var intent map[string]any
	g.Expect(json.Unmarshal(raw, &intent)).To(Succeed())
	g.Expect(intent["overrides"]).To(Equal(map[string]any{"logging.level": "info", "chain.halt_height": "100"}))
	g.Expect(n.Spec.Overrides).To(HaveLen(1), "the spec's map is not changed")

	raw, err = sidecarParams(env, sidecar.TaskTypeAwaitCondition)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"condition":"height","targetHeight":100}`))

	n.Spec.HaltHeight = 0
	raw, _ = sidecarParams(env, sidecar.TaskTypeConfigApply)
	g.Expect(json.Unmarshal(raw, &intent)).To(Succeed())
	g.Expect(intent["overrides"]).To(Equal(map[string]any{"logging.level": "info"}))
}

// await-halt for a halt height the spec no longer has ends at once, without asking the sidecar.
func TestAwaitHaltEndsWhenTheSpecMovedOn(t *testing.T) {
	g := NewWithT(t)
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	node := &seiv1alpha1.SeiNode{Spec: seiv1alpha1.SeiNodeSpec{FullNode: &seiv1alpha1.FullNodeSpec{}}}
	env := &Env{Node: node, Sidecar: sidecar.New(srv.URL()), Reader: fake.NewClientBuilder().Build()}
	steps, err := planner.NewPlan("p", "await-halt", []planner.Step{{Type: TypeAwaitHalt, Params: HaltTarget{Height: 100}}}, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	task, err := awaitHalt(env, &steps.Tasks[0])
	g.Expect(err).NotTo(HaveOccurred())
	res, err := task.Run(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Done).To(BeTrue())
	g.Expect(srv.Submissions(sidecar.TaskTypeAwaitCondition)).To(BeZero())

	node.Spec.HaltHeight = 100
	steps.Tasks[0].ID = uuid.NewString()
	task, _ = awaitHalt(env, &steps.Tasks[0])
	srv.HangTask(sidecar.TaskTypeAwaitCondition)
	res, err = task.Run(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Wait).To(Equal(planner.WaitPoll), "waiting for the height")
	g.Expect(srv.Submissions(sidecar.TaskTypeAwaitCondition)).To(Equal(1))
}
