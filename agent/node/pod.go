package node

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/genesiscm"
)

// podObservation is what the agent saw of a running node's pod and genesis this reconcile: the
// conditions must say when the pod cannot run, not only that the plan once completed.
type podObservation struct {
	// failing says which container of the pod failed and why ("" when none did).
	failing string
	// genesisRefused is set when seid-init refused the mounted genesis, or seid's start script the
	// installed one (its hash is not the spec's).
	genesisRefused bool
	// genesisSHA256 is the hash of the genesis ConfigMap as it is now ("" when not read).
	genesisSHA256 string
	// keys is why the node may not use its key Secrets (nil: it may).
	keys *tasks.KeyRefusal
	// chainWatched: the agent reads the node's height and catching_up, so Ready waits for CaughtUp.
	chainWatched bool
}

// observePod reads the pod (from the cache) and, for a node started from a genesis, its genesis
// ConfigMap (from the apiserver: the agent does not cache ConfigMaps). Errors leave the observation
// empty: status then says what the plan last established, never something made up.
func (r *Reconciler) observePod(ctx context.Context, node *seiv1alpha1.SeiNode) podObservation {
	var obs podObservation
	if node.Status.Phase != seiv1alpha1.NodeRunning || node.Spec.Paused || !node.DeletionTimestamp.IsZero() {
		return obs
	}
	pod := &corev1.Pod{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: node.Namespace, Name: resources.PodName(node)}, pod); err == nil {
		obs.failing, obs.genesisRefused = podFailure(pod)
	}
	if g := node.Spec.Genesis; g != nil && g.ConfigMapName != "" {
		cm := &corev1.ConfigMap{}
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: node.Namespace, Name: g.ConfigMapName}, cm); err == nil {
			obs.genesisSHA256, _ = genesiscm.Hash(cm)
		}
	}
	return obs
}

// labelledToNode maps an object labelled with its node's name (a pod, a data claim: the cache holds
// only the agent's own) to that SeiNode.
func labelledToNode(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[seiv1alpha1.LabelNode]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
}

// podFailure finds a container of pod that last ended in failure and is not running again: seid-init,
// then the sidecar, then seid. It reports whether seid-init or seid's start script refused the genesis.
func podFailure(pod *corev1.Pod) (string, bool) {
	statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, s := range statuses {
		// Running, or (seid-init) completed: an older failure no longer matters. Waiting to start
		// again: the last run's end is why.
		t := s.State.Terminated
		switch {
		case s.State.Running != nil:
			continue
		case t == nil && s.State.Waiting != nil:
			t = s.LastTerminationState.Terminated
		}
		if t == nil || t.ExitCode == 0 {
			continue
		}
		msg := fmt.Sprintf("container %s exited with code %d", s.Name, t.ExitCode)
		if why := strings.TrimSpace(t.Message); why != "" {
			msg += ": " + lastLine(why)
		}
		if s.RestartCount > 0 {
			msg += fmt.Sprintf(" (%d restarts)", s.RestartCount)
		}
		// seid-init checks the genesis when the pod starts, seid's start script before every start.
		genesis := (s.Name == resources.ContainerSeidInit || s.Name == resources.ContainerSeid) && t.ExitCode == resources.ExitGenesisMismatch
		return msg, genesis
	}
	return "", false
}

// lastLine is the last line of a termination message (the kubelet keeps the log's tail).
func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
