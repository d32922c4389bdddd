package resources

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Container names.
const (
	ContainerSeidInit = "seid-init"
	ContainerSidecar  = "sei-sidecar"
	ContainerSeid     = "seid"
)

// Environment of seid-init and seid (the sidecar's comes from package config).
const (
	envMode          = "SEI_MODE"
	envMoniker       = "SEI_MONIKER"
	envGenesisSHA256 = "SEI_GENESIS_SHA256"
	// envSigningStateFloor carries spec.validator.signingStateFloor to seid-init (validators only).
	envSigningStateFloor = "SEI_SIGNING_STATE_FLOOR"
	// envDoubleSignCheckHeight is how far seid looks back for its own signature while the volume
	// cannot vouch for the signing state (validators only; see startScript).
	envDoubleSignCheckHeight = "SEI_DOUBLE_SIGN_CHECK_HEIGHT"
)

// overrideDoubleSignCheckHeight is the sei-config key of seid's double-sign-check-height.
const overrideDoubleSignCheckHeight = "consensus.double_sign_check_height"

// bash runs the scripts. The seid image ships it; the sidecar image (distroless) runs seictl directly.
const bash = "/bin/bash"

// seidPorts are seid's ports, named.
var seidPorts = []corev1.ContainerPort{
	{Name: PortNameP2P, ContainerPort: PortP2P, Protocol: corev1.ProtocolTCP},
	{Name: PortNameRPC, ContainerPort: PortRPC, Protocol: corev1.ProtocolTCP},
	{Name: PortNameREST, ContainerPort: PortREST, Protocol: corev1.ProtocolTCP},
	{Name: PortNameGRPC, ContainerPort: PortGRPC, Protocol: corev1.ProtocolTCP},
	{Name: PortNameEVMRPC, ContainerPort: PortEVMRPC, Protocol: corev1.ProtocolTCP},
	{Name: PortNameEVMWS, ContainerPort: PortEVMWS, Protocol: corev1.ProtocolTCP},
	{Name: PortNameMetrics, ContainerPort: PortMetrics, Protocol: corev1.ProtocolTCP},
}

// seidPortName names the seid port number p, or returns "" when seid does not use it.
func seidPortName(p int32) string {
	for _, port := range seidPorts {
		if port.ContainerPort == p {
			return port.Name
		}
	}
	return ""
}

// seidInitContainer prepares the data volume before anything else runs (see initScript). It gets
// seid's resources: an init container's requests only count while it runs, so this costs nothing, and
// it keeps the pod's QoS class what seid's resources make it.
func seidInitContainer(node *seiv1alpha1.SeiNode, cfg *config.Config) corev1.Container {
	env := []corev1.EnvVar{
		{Name: config.EnvHome, Value: cfg.SeidHome},
		{Name: config.EnvChainID, Value: node.Spec.ChainID},
		{Name: envMode, Value: string(node.Spec.Mode())},
		{Name: envMoniker, Value: node.Name},
	}
	if v := node.Spec.Validator; v != nil {
		env = append(env, corev1.EnvVar{Name: envSigningStateFloor, Value: strconv.FormatInt(v.SigningStateFloor, 10)})
	}
	if g := node.Spec.Genesis; g != nil {
		env = append(env, corev1.EnvVar{Name: envGenesisSHA256, Value: g.SHA256})
	}
	return corev1.Container{
		Name:            ContainerSeidInit,
		Image:           node.Spec.Image,
		Command:         []string{bash, "-c", initScript},
		Env:             env,
		Resources:       seidResources(node, cfg),
		VolumeMounts:    initMounts(node, cfg.SeidHome),
		SecurityContext: containerSecurityContext(),
		// Why it failed (a refused genesis, say) reaches the pod's status and so the agent.
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
}

// sidecarContainer is seictl as a native sidecar: an init container with restartPolicy Always, so it
// starts after seid-init (the data volume is ready) and before seid, runs as long as the pod does, and
// is restarted on its own without touching seid. Its startup probe is what holds seid back until the
// sidecar listens; it probes /v0/livez, which answers as soon as the server runs, not /v0/healthz,
// which stays 503 until the agent's mark-ready and would deadlock the pod.
func sidecarContainer(node *seiv1alpha1.SeiNode, cfg *config.Config) corev1.Container {
	image, resources := cfg.Images.Sidecar, cfg.Sidecar.Resources.Requirements()
	if s := node.Spec.Sidecar; s != nil {
		if s.Image != "" {
			image = s.Image
		}
		if s.Resources != nil {
			resources = *s.Resources.DeepCopy()
		}
	}
	port := SidecarPort(node, cfg)
	env := []corev1.EnvVar{
		{Name: config.EnvChainID, Value: node.Spec.ChainID},
		{Name: config.EnvHome, Value: cfg.SeidHome},
		{Name: config.EnvSidecarPort, Value: strconv.Itoa(int(port))},
		{Name: config.EnvAuthnMode, Value: config.AuthnModeUnauthenticated},
	}
	for i := range cfg.Sidecar.Env {
		env = append(env, *cfg.Sidecar.Env[i].DeepCopy())
	}
	env = withEnv(env, snapshotSourceEnv(node)...)
	livez := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/v0/livez", Port: intstr.FromString(PortNameSidecar)}}
	return corev1.Container{
		Name:                     ContainerSidecar,
		Image:                    image,
		Args:                     []string{"serve"},
		RestartPolicy:            ptr.To(corev1.ContainerRestartPolicyAlways),
		Ports:                    []corev1.ContainerPort{{Name: PortNameSidecar, ContainerPort: port, Protocol: corev1.ProtocolTCP}},
		Env:                      env,
		Resources:                resources,
		VolumeMounts:             runtimeMounts(cfg.SeidHome),
		StartupProbe:             &corev1.Probe{ProbeHandler: livez, PeriodSeconds: 2, FailureThreshold: 60},
		ReadinessProbe:           &corev1.Probe{ProbeHandler: livez, PeriodSeconds: 10, FailureThreshold: 3},
		SecurityContext:          containerSecurityContext(),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
}

// snapshotSourceEnv points the sidecar's snapshot-restore at a node's bootstrap.snapshot source:
// seictl reads the bucket and region from its environment, and the AWS SDK the endpoint and the
// credentials.
func snapshotSourceEnv(node *seiv1alpha1.SeiNode) []corev1.EnvVar {
	if node.Spec.FullNode == nil || node.Spec.FullNode.Bootstrap == nil || node.Spec.FullNode.Bootstrap.Snapshot == nil {
		return nil
	}
	src := node.Spec.FullNode.Bootstrap.Snapshot.S3
	env := []corev1.EnvVar{
		{Name: config.EnvSnapshotBucket, Value: src.Bucket},
		{Name: config.EnvSnapshotRegion, Value: src.Region},
	}
	if src.Endpoint != "" {
		env = append(env, corev1.EnvVar{Name: envAWSEndpoint, Value: src.Endpoint})
	}
	if src.CredentialsSecret != "" {
		for _, key := range []string{envAWSAccessKeyID, envAWSSecretAccessKey, envAWSSessionToken} {
			env = append(env, corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: src.CredentialsSecret},
				Key:                  key,
				Optional:             ptr.To(key == envAWSSessionToken),
			}}})
		}
	}
	return env
}

// withEnv sets vars in env, replacing any of the same name.
func withEnv(env []corev1.EnvVar, vars ...corev1.EnvVar) []corev1.EnvVar {
	for _, v := range vars {
		env = slices.DeleteFunc(env, func(e corev1.EnvVar) bool { return e.Name == v.Name })
		env = append(env, v)
	}
	return env
}

// Environment of the AWS SDK the sidecar's S3 client reads.
const (
	envAWSEndpoint        = "AWS_ENDPOINT_URL"
	envAWSAccessKeyID     = "AWS_ACCESS_KEY_ID"
	envAWSSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	envAWSSessionToken    = "AWS_SESSION_TOKEN"
)

// seidContainer runs seid behind the start gate (see startScript).
//
// Readiness is a TCP check: RPC for every mode but seeds, which serve only P2P. It has no liveness
// probe on purpose: seid stalls for minutes on a slow block, a long compaction or while catching up,
// and a liveness kill then restarts it into a longer recovery — for a validator, missed blocks and
// possibly jail — while the stall would have passed on its own. A hung node is for an operator or the
// agent to judge, not a kubelet timer.
func seidContainer(node *seiv1alpha1.SeiNode, cfg *config.Config) corev1.Container {
	ready := PortNameRPC
	if node.Spec.Mode() == seiv1alpha1.ModeSeed {
		ready = PortNameP2P
	}
	env := []corev1.EnvVar{
		{Name: config.EnvHome, Value: cfg.SeidHome},
		{Name: config.EnvSidecarPort, Value: strconv.Itoa(int(SidecarPort(node, cfg)))},
	}
	if node.Spec.Validator != nil {
		env = append(env, corev1.EnvVar{Name: envDoubleSignCheckHeight, Value: strconv.FormatInt(doubleSignCheckHeight(node, cfg), 10)})
	}
	if g := node.Spec.Genesis; g != nil {
		// The start script checks the genesis again before every start (see startScript).
		env = append(env, corev1.EnvVar{Name: envGenesisSHA256, Value: g.SHA256})
	}
	return corev1.Container{
		Name:      ContainerSeid,
		Image:     node.Spec.Image,
		Command:   []string{bash, "-c", startScript},
		Env:       env,
		Ports:     append([]corev1.ContainerPort(nil), seidPorts...),
		Resources: seidResources(node, cfg),
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(ready)}},
			PeriodSeconds: 10, FailureThreshold: 3,
		},
		VolumeMounts:             runtimeMounts(cfg.SeidHome),
		SecurityContext:          containerSecurityContext(),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
}

// doubleSignCheckHeight is the node's spec.overrides consensus.double_sign_check_height, else the
// configuration's. The override also reaches config.toml (config-apply), where seid applies it on
// every start; here it sets the look-back of the check startScript arms. An override that is not a
// number is the overrides check's to refuse; until then the configuration's value holds.
func doubleSignCheckHeight(node *seiv1alpha1.SeiNode, cfg *config.Config) int64 {
	if v, ok := node.Spec.Overrides[overrideDoubleSignCheckHeight]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	if n := cfg.Signing.DoubleSignCheckHeight; n != nil {
		return *n
	}
	return config.DefaultDoubleSignCheckHeight
}

// seidResources are spec.resources, else the configuration's for the node's mode.
func seidResources(node *seiv1alpha1.SeiNode, cfg *config.Config) corev1.ResourceRequirements {
	if r := node.Spec.Resources; r != nil {
		return *r.DeepCopy()
	}
	return cfg.ResourcesFor(node.Spec.Mode())
}
