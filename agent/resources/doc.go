// Package resources renders the Kubernetes objects that run one SeiNode in a member cluster: a
// one-replica StatefulSet, a headless Service, a P2P Service, a data PersistentVolumeClaim and the
// NetworkPolicy that admits only the agent to the sidecar's port. The
// builders are pure: a SeiNode and the agent's configuration in, objects out, no client and no clock,
// so the same input always gives the same objects and golden files pin them down.
//
// It owns the objects' names (Names), labels (Labels, SelectorLabels), ports, the pod's layout and the
// scripts its containers run, and the address of a node's sidecar (SidecarURL). It also refuses input
// that cannot run (a validator without keys, a name no Service can carry) with an error naming the
// spec field, rather than rendering objects the API server or the pod would reject later.
//
// It decides whether an existing data claim is the node's own (AdoptDataPVC). It does not own when
// or how objects are applied (package tasks: create, or adopt, for the PVC; server-side apply for the
// rest), the key Secrets and genesis ConfigMap the pod mounts (minted or
// written by others, and deliberately not owned by the SeiNode), nor what seid's configuration files
// say beyond what `seid init` writes (the sidecar's config-apply task).
//
// # Pod layout
//
// Init container seid-init prepares the data volume: `seid init` on first use, the node key (and for
// validators the consensus key) copied from their Secrets, a validator's signing state raised to
// spec.validator.signingStateFloor when it is missing or lower (never lowered), and when spec.genesis
// is set the genesis verified against its sha256 and installed. A validator whose volume cannot vouch
// for its signing state is marked so, and seid's start arms its double-sign check (scripts.go). Native sidecar
// sei-sidecar (an init container with restartPolicy Always) then serves seictl's HTTP API for the
// agent. Container seid waits for the sidecar to release it (/v0/healthz answering 200 after the
// agent's mark-ready task) and then execs `seid start`.
package resources
