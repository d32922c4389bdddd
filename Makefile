# sei-fleet Makefile. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export GOFLAGS ?= -buildvcs=false
export GOTOOLCHAIN ?= local

CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/sei-fleet
TOOLS_BIN ?= $(CACHE_DIR)/bin

CONTROLLER_TOOLS_VERSION ?= v0.21.0
GOLANGCI_LINT_VERSION ?= v2.15.0
K8S_VERSION ?= 1.36.3
ETCD_VERSION ?= 3.6.16

KIND_VERSION ?= v0.33.0

CONTROLLER_GEN ?= $(TOOLS_BIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT ?= $(TOOLS_BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
KIND ?= $(TOOLS_BIN)/kind-$(KIND_VERSION)
SHELLCHECK ?= shellcheck
KUBEBUILDER_ASSETS ?= $(CACHE_DIR)/k8s-test-bins/bin-$(K8S_VERSION)-etcd$(ETCD_VERSION)
export KUBEBUILDER_ASSETS

IMG ?= ghcr.io/sei-protocol/sei-fleet:dev
# kind clusters of e2e-kind: PREFIX-hub and PREFIX-<member>.
KIND_CLUSTER_PREFIX ?= sei-fleet
GO_TEST_FLAGS ?= -p 1 -timeout 45m
# The tests the dataplane tier runs on real nodes (e2e/realchain_test.go, hack/dev).
DATAPLANE_TESTS ?= ^TestRealChain|^TestDevRealChain
OCM_CRDS := cluster/v1/0000_00_clusters.open-cluster-management.io_managedclusters.crd.yaml \
	cluster/v1beta2/0000_00_clusters.open-cluster-management.io_managedclustersets.crd.yaml \
	cluster/v1beta2/0000_01_clusters.open-cluster-management.io_managedclustersetbindings.crd.yaml

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: dev
dev: build dataplane-bins ## Run a whole fleet locally on real nodes: hub + 3 member clusters, a validator ceremony, full nodes, real seid (root; Ctrl-C to stop)
	SEID_BIN=$$(hack/install-seid.sh | tail -1) SEICTL_BIN=$$(hack/install-seictl.sh | tail -1) \
		go run ./hack/dev --bin-dir bin --dir .dev

.PHONY: dev-simulate
dev-simulate: build test-bins ## make dev without nodes: pods and the sidecar simulated (machines that cannot run containers)
	go run ./hack/dev --simulate --bin-dir bin --dir .dev

.PHONY: generate
generate: $(CONTROLLER_GEN) override-keys ## Generate DeepCopy methods from api/ (after override-keys)
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: override-keys
override-keys: ## Generate the overrides key allowlist (api/v1alpha1), seid key table (internal/nodeconfig) and docs/config-overrides.md from sei-config
	go run ./hack/gen-override-keys

.PHONY: manifests
manifests: $(CONTROLLER_GEN) override-keys ## Generate CRDs (deploy/crds) and RBAC (deploy/*/rbac); copy OCM's CRDs beside them; regenerate docs/crd-reference.md
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=deploy/crds
	$(CONTROLLER_GEN) rbac:roleName=sei-fleet-agent paths=./agent/... output:rbac:artifacts:config=deploy/agent/rbac
	$(CONTROLLER_GEN) rbac:roleName=sei-fleet-hub paths="./hub;./hub/clusters/...;./hub/deployment/...;./hub/mirror/...;./hub/policy/..." output:rbac:artifacts:config=deploy/hub/rbac
	$(CONTROLLER_GEN) rbac:roleName=sei-fleet-hub-member paths=./hub/member/... output:rbac:artifacts:config=deploy/hub/member-rbac
	@ocm=$$(go list -m -f '{{.Dir}}' open-cluster-management.io/api); mkdir -p deploy/crds/ocm; \
	for f in $(OCM_CRDS); do install -m 0644 "$$ocm/$$f" deploy/crds/ocm/$$(basename "$$f"); done
	go run ./hack/gen-crd-docs -crds deploy/crds -out docs/crd-reference.md

.PHONY: docs
docs: ## Regenerate docs/crd-reference.md from the CRDs in deploy/crds (make manifests does too)
	go run ./hack/gen-crd-docs -crds deploy/crds -out docs/crd-reference.md

.PHONY: verify
verify: $(CONTROLLER_GEN) ## Fail when generated files (CRDs, RBAC, DeepCopy) are stale
	hack/verify-generated.sh

.PHONY: lint
lint: $(GOLANGCI_LINT) lint-scripts ## Run go vet, golangci-lint and shellcheck
	go vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: lint-scripts
lint-scripts: ## Run shellcheck on every hack/**/*.sh (installs shellcheck from Debian's packages if missing)
	@command -v $(SHELLCHECK) >/dev/null 2>&1 || hack/install-shellcheck.sh
	find hack -name '*.sh' -print0 | sort -z | xargs -0 $(SHELLCHECK) --external-sources

.PHONY: build
build: ## Build the hub and agent binaries into bin/
	CGO_ENABLED=0 go build -trimpath -o bin/ ./cmd/hub ./cmd/agent

##@ Tests

.PHONY: test
test: test-bins ## Install test binaries (kube-apiserver, etcd, kube-controller-manager) if needed, then run every test
	go test $(GO_TEST_FLAGS) ./...

SCALE_FLAGS ?=
.PHONY: bench-scale
bench-scale: test-bins ## Scale harness (docs/performance.md): 100 member clusters on 4 apiservers, the real hub binary, 100/1,000/10,000 full nodes (SCALE_FLAGS: -scale.* flags; SCALE_HUB_ARGS: extra hub flags)
	go test ./e2e/scale/ -run '^$$' -bench Scale -benchtime 1x -timeout 120m $(SCALE_FLAGS)

.PHONY: bench-direct
BENCH_OUT ?= bin/bench-direct.txt
BENCHSTAT ?= go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench-direct: test-bins ## Apply-to-Running via the hub against the same nodes made straight on the members (in-process fleet, 3 members), 5 runs each, then benchstat's hub/direct table
	mkdir -p $(dir $(BENCH_OUT))
	set -o pipefail; go test ./e2e/ -run '^$$' -bench 'ApplyToRunning|DirectToRunning' -benchtime 1x -count 5 -timeout 60m | tee $(BENCH_OUT)
	$(BENCHSTAT) -col '.name@(DirectToRunning ApplyToRunning)' -row /nodes $(BENCH_OUT)

.PHONY: test-chain
test-chain: test-bins ## Build a real seid and seictl if needed, then run the chain conformance tests against them (e2e/chain; the fake sidecar's config tasks against the real one)
	SEID_BIN=$$(hack/install-seid.sh | tail -1) SEICTL_BIN=$$(hack/install-seictl.sh | tail -1) \
		go test -tags chain $(GO_TEST_FLAGS) ./e2e/chain/... ./agent/sidecar/sidecartest/...

.PHONY: test-dataplane
test-dataplane: dataplane-bins ## Install the data plane (Debian's containerd, runc, CNI; kubelet & co. from the proxy; seid, seictl), then run its tier on real nodes (root)
	go test -tags dataplane $(GO_TEST_FLAGS) ./dataplane/...
	SEID_BIN=$$(hack/install-seid.sh | tail -1) SEICTL_BIN=$$(hack/install-seictl.sh | tail -1) \
		VERSITYGW_BIN=$$(hack/install-versitygw.sh | tail -1) \
		go test -tags dataplane $(GO_TEST_FLAGS) -run '$(DATAPLANE_TESTS)' ./e2e/ ./hack/dev/

.PHONY: dataplane-bins
dataplane-bins: ## Install what real member nodes need: Debian's containerd, runc, CNI plugins, iptables; kubelet, kube-proxy, kube-controller-manager, kube-scheduler
	hack/install-dataplane-deps.sh
	NODE_BINS=1 K8S_VERSION=$(K8S_VERSION) ETCD_VERSION=$(ETCD_VERSION) hack/install-k8s-test-bins.sh "$(KUBEBUILDER_ASSETS)" >/dev/null

.PHONY: test-bins
test-bins: ## Build kube-apiserver, etcd and kube-controller-manager for integration tests (cached outside the repo)
	K8S_VERSION=$(K8S_VERSION) ETCD_VERSION=$(ETCD_VERSION) hack/install-k8s-test-bins.sh "$(KUBEBUILDER_ASSETS)" >/dev/null

.PHONY: e2e-kind
e2e-kind: $(KIND) ## Run the e2e suite on kind: a hub and two members installed from deploy/ (needs a Docker engine; KEEP=1 keeps them)
	KIND=$(KIND) IMG=$(IMG) KIND_CLUSTER_PREFIX=$(KIND_CLUSTER_PREFIX) hack/kind/e2e.sh

.PHONY: kind-down
kind-down: $(KIND) ## Delete the kind clusters e2e-kind made (KIND_CLUSTER_PREFIX-*)
	KIND=$(KIND) KIND_CLUSTER_PREFIX=$(KIND_CLUSTER_PREFIX) hack/kind/down.sh

##@ Deployment

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine)
	docker build -t $(IMG) .

##@ Tools

$(CONTROLLER_GEN):
	@mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(TOOLS_BIN)/controller-gen $@

$(KIND):
	@mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) go install sigs.k8s.io/kind@$(KIND_VERSION)
	mv $(TOOLS_BIN)/kind $@

$(GOLANGCI_LINT):
	@mkdir -p $(TOOLS_BIN)
	GOBIN=$(TOOLS_BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLS_BIN)/golangci-lint $@
