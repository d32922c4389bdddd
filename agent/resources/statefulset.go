package resources

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Grace periods between SIGTERM and SIGKILL. seid flushes its databases on SIGTERM; a validator
// killed mid-write may need a long recovery before it signs again, so it gets the longest.
const (
	validatorGracePeriod int64 = 300
	nodeGracePeriod      int64 = 120
)

// TerminationGracePeriod is the termination grace period, in seconds, of node's pod: the
// configuration's for the node's mode, else 300 for a validator (seid flushes its state) and 120 for
// other nodes.
func TerminationGracePeriod(node *seiv1alpha1.SeiNode, cfg *config.Config) int64 {
	if g := cfg.SchedulingFor(node.Spec.Mode()).TerminationGracePeriodSeconds; g != nil {
		return *g
	}
	if node.Spec.Mode() == seiv1alpha1.ModeValidator {
		return validatorGracePeriod
	}
	return nodeGracePeriod
}

// BuildStatefulSet renders the StatefulSet that runs node: one replica (none while spec.paused, which
// keeps the data), pods selected by node name only, and the OnDelete update strategy, because a
// restarted node — above all a validator — is an event the agent schedules (replace-pod), never a side
// effect of applying a new template. The data claim is a plain volume rather than a
// volumeClaimTemplate: the agent creates it with the size and class it chose, and a template could
// never be changed afterwards.
func BuildStatefulSet(node *seiv1alpha1.SeiNode, cfg *config.Config) (*appsv1.StatefulSet, error) {
	if err := checkInput(node, cfg); err != nil {
		return nil, err
	}
	replicas := int32(1)
	if node.Spec.Paused {
		replicas = 0
	}
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "StatefulSet"},
		ObjectMeta: objectMeta(node, StatefulSetName(node), nil),
		Spec: appsv1.StatefulSetSpec{
			Replicas:       &replicas,
			ServiceName:    HeadlessServiceName(node),
			Selector:       &metav1.LabelSelector{MatchLabels: SelectorLabels(node)},
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels(node)},
				Spec:       podSpec(node, cfg),
			},
		},
	}, nil
}

// podSpec lays out the node's pod. Nothing in it calls the Kubernetes API, so no token is mounted;
// the process namespace is shared so the sidecar can signal seid (its restart-seid and stop-seid
// tasks); Service environment variables are off because seid reads none and a namespace with many
// nodes would otherwise grow every pod's environment with each Service.
func podSpec(node *seiv1alpha1.SeiNode, cfg *config.Config) corev1.PodSpec {
	sched := cfg.SchedulingFor(node.Spec.Mode())
	return corev1.PodSpec{
		ServiceAccountName:            sched.ServiceAccountName,
		AutomountServiceAccountToken:  ptr.To(false),
		ShareProcessNamespace:         ptr.To(true),
		EnableServiceLinks:            ptr.To(false),
		TerminationGracePeriodSeconds: ptr.To(TerminationGracePeriod(node, cfg)),
		SecurityContext:               podSecurityContext(cfg),
		NodeSelector:                  sched.NodeSelector,
		Tolerations:                   sched.Tolerations,
		PriorityClassName:             sched.PriorityClassName,
		InitContainers:                []corev1.Container{seidInitContainer(node, cfg), sidecarContainer(node, cfg)},
		Containers:                    []corev1.Container{seidContainer(node, cfg)},
		Volumes:                       volumes(node),
	}
}

// podSecurityContext runs every container as the configured non-root user. fsGroup makes the data
// volume and the key files group-owned by that user's group: kubelet turns the Secrets' 0400 into
// 0440 owned by fsGroup, which is what lets the non-root init container read the keys while nobody
// else can. OnRootMismatch skips the recursive ownership walk on every start when the volume's root
// already matches, which on an archive volume with millions of files takes minutes.
func podSecurityContext(cfg *config.Config) *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:        ptr.To(true),
		RunAsUser:           copyID(cfg.Security.RunAsUser),
		RunAsGroup:          copyID(cfg.Security.RunAsGroup),
		FSGroup:             copyID(cfg.Security.FSGroup),
		FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func copyID(id *int64) *int64 {
	if id == nil {
		return nil
	}
	return ptr.To(*id)
}

// containerSecurityContext is the same for every container and meets the "restricted" Pod Security
// Standard: no privilege escalation, no capabilities (the sidecar signals seid as the same user, which
// needs none), and a read-only root filesystem — everything the node writes goes to the data volume or
// /tmp.
func containerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}
