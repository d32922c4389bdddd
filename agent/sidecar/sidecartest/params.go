package sidecartest

import (
	"encoding/json"
	"errors"
	"fmt"
)

// knownTypes is the fake's own copy of seictl's task types (sidecar/wire),
// kept apart from package sidecar on purpose: a typo there must show up as a
// 400 here, not be agreed with.
var knownTypes = map[string]bool{
	"snapshot-restore": true, "snapshot-upload": true, "snapshot-upload-once": true,
	"config-patch": true, "config-apply": true, "config-validate": true, "config-reload": true,
	"configure-genesis": true, "configure-state-sync": true,
	"mark-ready": true, "mark-not-ready": true, "restart-seid": true, "stop-seid": true, "reset-data": true,
	"result-export": true, "await-condition": true, "evm-logical-digest": true,
	"generate-identity": true, "generate-gentx": true, "upload-genesis-artifacts": true,
	"assemble-and-upload-genesis": true, "set-genesis-peers": true,
	"gov-vote": true, "gov-software-upgrade": true, "gov-param-change": true,
}

// Parameter structs as seictl's handlers declare them. The engine re-encodes
// the params map and decodes it into these, so a wrongly typed field fails
// the run with "parsing params: ..." while unknown fields pass.
type (
	configPatchParams struct {
		Files map[string]map[string]any `json:"files"`
	}
	configReloadParams struct {
		Fields map[string]string `json:"fields"`
	}
	configureGenesisParams struct {
		ExpectedGenesisHash string `json:"expectedGenesisHash"`
	}
	stateSyncParams struct {
		UseLocalSnapshot bool     `json:"useLocalSnapshot"`
		TrustPeriod      string   `json:"trustPeriod"`
		BackfillBlocks   int64    `json:"backfillBlocks"`
		RPCServers       []string `json:"rpcServers"`
	}
	snapshotRestoreParams struct {
		TargetHeight int64 `json:"targetHeight"`
	}
)

// checkParams fails a run the way the real handler would before doing any
// work: undecodable params, or the few semantic checks that need no disk.
// config-apply and config-validate run sei-config instead (config.go).
// genesisHash is the SetGenesisHash value.
func checkParams(taskType string, params map[string]any, genesisHash string) error {
	switch taskType {
	case "config-patch":
		var p configPatchParams
		if err := decode(params, &p); err != nil {
			return err
		}
		if len(p.Files) == 0 {
			return errors.New("config-patch: at least one file is required")
		}
	case "config-reload":
		var p configReloadParams
		if err := decode(params, &p); err != nil {
			return err
		}
		if len(p.Fields) == 0 {
			return errors.New("config-reload: at least one field is required")
		}
	case "configure-genesis":
		var p configureGenesisParams
		if err := decode(params, &p); err != nil {
			return err
		}
		if p.ExpectedGenesisHash != "" && genesisHash != "" && p.ExpectedGenesisHash != genesisHash {
			return fmt.Errorf("configure-genesis: verify-hash: genesis.json has SHA-256 %s, expected %s",
				genesisHash, p.ExpectedGenesisHash)
		}
	case "configure-state-sync":
		return decode(params, &stateSyncParams{})
	case "snapshot-restore":
		return decode(params, &snapshotRestoreParams{})
	}
	return nil
}

// decode mirrors the engine's TypedHandler: marshal the map, unmarshal into
// the typed struct.
func decode(params map[string]any, into any) error {
	raw, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("marshaling params: %w", err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("parsing params: %w", err)
	}
	return nil
}
