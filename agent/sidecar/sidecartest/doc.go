// Package sidecartest provides an in-memory fake of the seictl sidecar HTTP
// API v0 for tests: a Server per node on a loopback httptest listener, and a
// Fleet that serves many nodes from one listener under path prefixes.
//
// It owns a faithful model of the protocol as seictl's sidecar/server and
// sidecar/engine implement it: the same paths and methods (a wrong method
// gets 405 from the same ServeMux patterns), the same bodies and status
// codes (POST /v0/tasks answers 201 for new, deduplicated and re-run tasks
// alike; 400 {"error"} for a bad body, a missing or unknown type, or a
// non-UUID id; GET of an unknown id answers 404 {"error":"task not found"};
// DELETE answers 204), the engine's id rules (running or completed id:
// no-op; failed id: new run with the new params), readiness (healthz and
// startupz 503 until a mark-ready task completes; mark-not-ready purges
// mark-ready records and turns them 503 again), parameter decoding at run
// time (a wrongly typed field fails the task, it is not rejected), and the
// kube-rbac-proxy in front when RequireToken is set (401 without the bearer
// token, except on the probe paths).
//
// Tasks do no work, but for config-apply and config-validate, which run
// sei-config itself on a model of the node's config as seictl's handlers do:
// the same resolution, errors and diagnostics (an unknown override key fails
// config-apply with `config-apply: applying overrides: unknown override key
// "K"`), and a home as seid init leaves it until a config-apply succeeds, on
// which config-validate fails as the real one does (InitHome picks its mode).
// The chain-tagged conformance test holds these answers to the real seictl's.
// By default a task completes before its POST returns;
// SetDelay, HangTask/ReleaseTask and FailTask script other outcomes, and
// Submissions, Runs and Tasks let a test assert what the code under test
// did. It does not model a sidecar restart (seictl keeps tasks in SQLite
// and re-runs those left running), the trusted-header mode without a proxy,
// metrics content, or any other task's effect on disk (config-patch leaves
// the modelled config as it is); SetNodeID stands in for node_key.json and
// SetGenesisHash for the genesis the node would fetch.
//
// All methods are safe for concurrent use.
package sidecartest
