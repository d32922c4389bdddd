package node

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/sei-protocol/sei-fleet/agent/resources"
)

// Statuses shaped as the kubelet reports them: seid-init refusing a tampered genesis, seid killed,
// seid running again. e2e's TestRealChainTamperedGenesisIsRefused (-tags dataplane) sees real ones.
func TestPodFailure(t *testing.T) {
	terminated := func(code int32, msg string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: msg}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	for _, tc := range []struct {
		name    string
		init    []corev1.ContainerStatus
		main    []corev1.ContainerStatus
		failing string
		genesis bool
	}{
		{name: "healthy", init: []corev1.ContainerStatus{{Name: resources.ContainerSeidInit, State: terminated(0, "")}, {Name: resources.ContainerSidecar, State: running}},
			main: []corev1.ContainerStatus{{Name: resources.ContainerSeid, State: running}}},
		{name: "genesis refused", init: []corev1.ContainerStatus{{
			Name: resources.ContainerSeidInit, State: waiting, RestartCount: 2,
			LastTerminationState: terminated(resources.ExitGenesisMismatch, "...\ngenesis.json from the ConfigMap does not have sha256 ab: refusing to start\n"),
		}}, failing: "container seid-init exited with code 3: genesis.json from the ConfigMap does not have sha256 ab: refusing to start (2 restarts)", genesis: true},
		{name: "genesis refused before a restart of seid", main: []corev1.ContainerStatus{{
			Name: resources.ContainerSeid, State: waiting, RestartCount: 1,
			LastTerminationState: terminated(resources.ExitGenesisMismatch, "config/genesis.json does not have sha256 ab: refusing to start seid\n"),
		}}, failing: "container seid exited with code 3: config/genesis.json does not have sha256 ab: refusing to start seid (1 restarts)", genesis: true},
		{name: "other init failure", init: []corev1.ContainerStatus{{Name: resources.ContainerSeidInit, State: terminated(1, "cp: cannot stat")}},
			failing: "container seid-init exited with code 1: cp: cannot stat"},
		{name: "seid crash-looping", main: []corev1.ContainerStatus{{Name: resources.ContainerSeid, State: waiting, RestartCount: 4, LastTerminationState: terminated(137, "")}},
			failing: "container seid exited with code 137 (4 restarts)"},
		{name: "an old failure, running again", main: []corev1.ContainerStatus{{Name: resources.ContainerSeid, State: running, RestartCount: 1, LastTerminationState: terminated(137, "")}}},
		{name: "init completed after a refusal", init: []corev1.ContainerStatus{{Name: resources.ContainerSeidInit, State: terminated(0, ""), LastTerminationState: terminated(3, "")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			pod := &corev1.Pod{Status: corev1.PodStatus{InitContainerStatuses: tc.init, ContainerStatuses: tc.main}}
			failing, genesis := podFailure(pod)
			g.Expect(failing).To(Equal(tc.failing))
			g.Expect(genesis).To(Equal(tc.genesis))
		})
	}
}
