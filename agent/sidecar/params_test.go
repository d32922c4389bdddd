package sidecar_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
)

// The expected JSON is written from seictl's handler structs and sei-config's
// ConfigIntent, not from this package, so a renamed tag fails here.
func TestParamsWireFormat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params any
		want   string
	}{
		{name: "config-apply", params: sidecar.ConfigIntent{
			Mode: sidecar.ModeValidator, Overrides: map[string]string{"network.p2p.persistent_peers": "a@b:26656"},
			TargetVersion: 2, Incremental: true,
		}, want: `{"mode":"validator","overrides":{"network.p2p.persistent_peers":"a@b:26656"},"targetVersion":2,"incremental":true}`},
		{name: "config-apply minimal", params: sidecar.ConfigIntent{Mode: sidecar.ModeFull}, want: `{"mode":"full"}`},
		{name: "config-patch", params: sidecar.ConfigPatchParams{Files: map[string]map[string]any{
			"config.toml": {"p2p": map[string]any{"external-address": "1.2.3.4:26656"}},
		}}, want: `{"files":{"config.toml":{"p2p":{"external-address":"1.2.3.4:26656"}}}}`},
		{name: "configure-genesis", params: sidecar.ConfigureGenesisParams{ExpectedGenesisHash: "ab"}, want: `{"expectedGenesisHash":"ab"}`},
		{name: "configure-genesis unverified", params: sidecar.ConfigureGenesisParams{}, want: `{}`},
		{name: "configure-state-sync", params: sidecar.ConfigureStateSyncParams{
			UseLocalSnapshot: true, TrustPeriod: "168h", BackfillBlocks: 10, RPCServers: []string{"a:26657"},
		}, want: `{"useLocalSnapshot":true,"trustPeriod":"168h","backfillBlocks":10,"rpcServers":["a:26657"]}`},
		{name: "snapshot-restore", params: sidecar.SnapshotRestoreParams{TargetHeight: 42}, want: `{"targetHeight":42}`},
		{name: "config-reload", params: sidecar.ConfigReloadParams{Fields: map[string]string{"a": "b"}}, want: `{"fields":{"a":"b"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			task, err := sidecar.NewTask("id", tc.name, tc.params)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(task.Params).To(MatchJSON(tc.want))
		})
	}
}

func TestNewTask(t *testing.T) {
	g := NewWithT(t)
	task, err := sidecar.NewTask("id", sidecar.TaskTypeMarkReady, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(task).To(Equal(sidecar.Task{ID: "id", Type: sidecar.TaskTypeMarkReady}))
	raw, err := json.Marshal(task)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(raw).To(MatchJSON(`{"id":"id","type":"mark-ready"}`))

	_, err = sidecar.NewTask("id", sidecar.TaskTypeConfigApply, map[string]any{"bad": func() {}})
	g.Expect(err).To(MatchError(ContainSubstring("encode config-apply params")))
}

// Typed params run to completion on the fake, which decodes them the way the
// sidecar's handlers do; a wrongly typed field fails the run, not the submit.
func TestTypedParamsRunOnTheFake(t *testing.T) {
	for _, tc := range []struct {
		name, taskType string
		params         any
		wantErr        string
	}{
		{name: "config-apply", taskType: sidecar.TaskTypeConfigApply,
			params: sidecar.ConfigIntent{Mode: sidecar.ModeArchive, Overrides: map[string]string{"logging.level": "error"}}},
		{name: "config-apply incremental on the home seid init made", taskType: sidecar.TaskTypeConfigApply,
			params:  sidecar.ConfigIntent{Incremental: true, Overrides: map[string]string{"logging.level": "info"}},
			wantErr: `"field":"storage.pruning","message":"unknown pruning strategy \"\"`},
		{name: "config-apply unknown override key", taskType: sidecar.TaskTypeConfigApply,
			params:  sidecar.ConfigIntent{Mode: sidecar.ModeFull, Overrides: map[string]string{"p2p.max-num-inbound-peers": "80"}},
			wantErr: `config-apply: applying overrides: unknown override key "p2p.max-num-inbound-peers"`},
		{name: "config-apply unknown mode", taskType: sidecar.TaskTypeConfigApply,
			params: sidecar.ConfigIntent{Mode: "light"}, wantErr: `invalid mode "light"`},
		{name: "config-apply numeric override", taskType: sidecar.TaskTypeConfigApply,
			params: map[string]any{"mode": "full", "overrides": map[string]any{"x": 1}}, wantErr: "parsing params"},
		{name: "config-patch", taskType: sidecar.TaskTypeConfigPatch,
			params: sidecar.ConfigPatchParams{Files: map[string]map[string]any{"app.toml": {"pruning": "nothing"}}}},
		{name: "config-patch empty", taskType: sidecar.TaskTypeConfigPatch,
			params: sidecar.ConfigPatchParams{}, wantErr: "at least one file"},
		{name: "configure-genesis", taskType: sidecar.TaskTypeConfigureGenesis,
			params: sidecar.ConfigureGenesisParams{ExpectedGenesisHash: "ab"}},
		{name: "state sync", taskType: sidecar.TaskTypeConfigureStateSync,
			params: sidecar.ConfigureStateSyncParams{RPCServers: []string{"a:26657", "b:26657"}}},
		{name: "state sync wrong type", taskType: sidecar.TaskTypeConfigureStateSync,
			params: map[string]any{"backfillBlocks": "ten"}, wantErr: "parsing params"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, c := newPair(t)
			task, err := sidecar.NewTask(uuid.NewString(), tc.taskType, tc.params)
			g.Expect(err).NotTo(HaveOccurred())
			done, err := sidecar.Run(t.Context(), c, task)
			g.Expect(done).To(BeTrue())
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			var failed *sidecar.TaskFailedError
			g.Expect(errors.As(err, &failed)).To(BeTrue())
			g.Expect(failed.Message).To(ContainSubstring(tc.wantErr))
		})
	}
}
