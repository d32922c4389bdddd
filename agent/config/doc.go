// Package config is the agent's configuration file: what a cluster admin decides once per member
// cluster and every SeiNode there inherits unless its spec says otherwise — storage classes and sizes,
// resources, scheduling and security per node mode, the seictl sidecar image and environment, how
// the node's P2P port is exposed to other clusters, and who may reach a node's sidecar and RPC ports
// (the peers of the NetworkPolicy around every node's pod).
//
// It owns the file's schema, its defaults (Default is a complete configuration for local and dev
// clusters, such as kind), strict loading (an unknown or misspelled field is an error, never silently
// ignored) and validation whose every message names the field at fault, e.g.
// "storage.archive.size: quantities must be like 500Gi, got \"lots\"". It also owns the fallback from a
// node mode to the "default" entry (StorageFor, ResourcesFor, SchedulingFor).
//
// It does not own what a SeiNode spec overrides, nor how the values become Kubernetes objects: that is
// package resources, which takes a *Config as input. The file is read once at start-up; the agent
// must be restarted to pick up a change.
package config
