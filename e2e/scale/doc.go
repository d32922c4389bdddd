// Package scale is the scale harness of issue 12: many simulated member clusters (internal/clusterview
// views, spread over a few real kube-apiservers) and thousands of full nodes on one real hub — the hub
// binary built from cmd/hub, run as a child process with its real provider, placement, mirror and
// status paths — with an agent-equivalent (internal/agentsim) answering on every member. It measures
// time from apply to all placed and to all Running, the hub's CPU seconds, peak RSS and API requests
// per node, the writes of a resync of the converged fleet, and the re-placement of a failed member's
// nodes. See docs/performance.md. It runs only as a benchmark:
//
//	go test ./e2e/scale/ -run '^$' -bench Scale -benchtime 1x -timeout 60m
package scale
