// Package nodeconfig owns what a SeiNode's spec.overrides may say: the keys the seictl sidecar accepts
// (sei-config's registry, the schema config-apply resolves), how each value must be written, and the
// keys that never take effect through overrides.
//
// ValidateOverrides is the one check both sides run before anything is built: the hub before it places
// a deployment, the agent before it starts a task for a node. It is stricter than the sidecar, never
// looser: every key is checked (in sorted order, every problem reported), values parse by the field's
// Go type with strconv (sei-config's own Sscanf parser takes "0x10" as 0 and "12abc" as 12), and the
// overrides are then resolved by sei-config exactly as the sidecar's config-apply resolves them, so its
// semantic diagnostics (an unknown pruning strategy, a cross-field conflict) surface here too.
//
// Keys lists the accepted keys for generators: hack/gen-override-keys writes the apiserver's CEL
// allowlist (api/v1alpha1) and docs/config-overrides.md from it.
//
// The package does not send anything to a sidecar and does not know which task uses the overrides;
// agent/tasks does.
package nodeconfig
