package sidecar_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

// A validator's client never sends a task that could wipe, replace or reset what makes the validator
// safe to run; the sidecar never even sees the request.
func TestValidatorClientRefusesDestructiveTasks(t *testing.T) {
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	validator := sidecar.New(srv.URL(), sidecar.ForValidator(true))
	fullNode := sidecar.New(srv.URL(), sidecar.ForValidator(false))

	for _, typ := range []string{
		sidecar.TaskTypeResetData, sidecar.TaskTypeStopSeid,
		sidecar.TaskTypeSnapshotRestore, sidecar.TaskTypeConfigureStateSync, sidecar.TaskTypeGenerateIdentity,
		sidecar.TaskTypeGenerateGentx, sidecar.TaskTypeSnapshotUpload, sidecar.TaskTypeSnapshotUploadOnce,
		sidecar.TaskTypeResultExport, sidecar.TaskTypeGovVote, sidecar.TaskTypeAssembleAndUploadGenesis,
	} {
		t.Run(typ, func(t *testing.T) {
			g := NewWithT(t)
			task := sidecar.Task{ID: uuid.NewString(), Type: typ}
			_, err := validator.SubmitTask(t.Context(), task)
			var refused *sidecar.RefusedTaskError
			g.Expect(errors.As(err, &refused)).To(BeTrue(), "got %v", err)
			g.Expect(refused.Type).To(Equal(typ))
			g.Expect(err).To(MatchError(sidecar.ErrRefusedTask))
			g.Expect(err).To(MatchError(ContainSubstring(typ + " task refused: the node is a validator")))
			g.Expect(sidecar.IsPermanent(err)).To(BeTrue())

			// Run and Retry go through SubmitTask: refused too.
			_, err = sidecar.Run(t.Context(), validator, task)
			g.Expect(err).To(MatchError(sidecar.ErrRefusedTask))
			_, err = sidecar.Retry(t.Context(), validator, task, 1)
			g.Expect(err).To(MatchError(sidecar.ErrRefusedTask))
			g.Expect(srv.Submissions(typ)).To(BeZero(), "the sidecar never saw it")

			// The same task on a full node's client goes through.
			_, err = fullNode.SubmitTask(t.Context(), task)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(srv.Submissions(typ)).To(Equal(1))
		})
	}
}

// The tasks the agent's plans send a validator still go through.
func TestValidatorClientSendsTheAgentsTasks(t *testing.T) {
	g := NewWithT(t)
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	c := sidecar.New(srv.URL(), sidecar.ForValidator(true))
	for _, typ := range sidecar.ValidatorTaskTypes {
		_, err := c.SubmitTask(t.Context(), sidecar.Task{ID: uuid.NewString(), Type: typ})
		g.Expect(err).NotTo(HaveOccurred(), typ)
		g.Expect(srv.Submissions(typ)).To(Equal(1), typ)
	}
	g.Expect(sidecar.CheckTask(sidecar.TaskTypeResetData, false)).To(Succeed())
}
