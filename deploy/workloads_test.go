package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
)

// projectImage is the repository of the one image both Deployments run.
const projectImage = "ghcr.io/sei-protocol/sei-fleet"

// workloads are the bases with a Deployment: the binary it runs and the cluster it runs on.
var workloads = map[string]struct {
	command string
	cluster string
}{
	"hub":   {command: "/hub", cluster: hubCluster},
	"agent": {command: "/agent", cluster: memberCluster},
}

func deployments(objs []*unstructured.Unstructured) ([]*appsv1.Deployment, error) {
	return ofKind[appsv1.Deployment](objs, "Deployment")
}

// podTemplates returns the pod templates of every Deployment in objs.
func podTemplates(objs []*unstructured.Unstructured) ([]corev1.PodTemplateSpec, error) {
	deps, err := deployments(objs)
	if err != nil {
		return nil, err
	}
	out := make([]corev1.PodTemplateSpec, 0, len(deps))
	for _, d := range deps {
		out = append(out, d.Spec.Template)
	}
	return out, nil
}

// restrictedViolations lists how spec breaks the restricted Pod Security Standard
// (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted), plus this
// project's own rule that the root filesystem is read-only.
func restrictedViolations(spec *corev1.PodSpec) []string {
	var out []string
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		out = append(out, "shares a host namespace")
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			out = append(out, "volume "+v.Name+" is a hostPath")
		}
	}
	pod := spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if len(pod.Sysctls) > 0 {
		out = append(out, "sets sysctls")
	}
	containers := append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		bad := func(format string, args ...any) {
			out = append(out, "container "+c.Name+": "+fmt.Sprintf(format, args...))
		}
		if ptr.Deref(sc.Privileged, false) {
			bad("privileged")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("allowPrivilegeEscalation is not false")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			bad("does not drop ALL capabilities")
		} else if slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool { return c != "NET_BIND_SERVICE" }) {
			bad("adds capabilities %v", sc.Capabilities.Add)
		}
		if !ptr.Deref(sc.RunAsNonRoot, ptr.Deref(pod.RunAsNonRoot, false)) {
			bad("runAsNonRoot is not true")
		}
		if ptr.Deref(sc.RunAsUser, ptr.Deref(pod.RunAsUser, 1)) == 0 {
			bad("runs as uid 0")
		}
		seccomp := sc.SeccompProfile
		if seccomp == nil {
			seccomp = pod.SeccompProfile
		}
		if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
			bad("seccompProfile is not RuntimeDefault or Localhost")
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				bad("uses hostPort %d", p.HostPort)
			}
		}
		if !ptr.Deref(sc.ReadOnlyRootFilesystem, false) {
			bad("root filesystem is writable")
		}
	}
	return out
}

func TestDeploymentsAreRestrictedAndRunTheProjectImage(t *testing.T) {
	for dir, w := range workloads {
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			objs := renderBase(t, dir)
			deps, err := deployments(objs)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(deps).To(HaveLen(1))
			d := deps[0]
			spec := &d.Spec.Template.Spec
			g.Expect(restrictedViolations(spec)).To(BeEmpty())
			g.Expect(spec.Containers).To(HaveLen(1))
			c := spec.Containers[0]
			repo, tag, ok := strings.Cut(c.Image, ":")
			g.Expect(ok && repo == projectImage && tag != "").To(BeTrue(), "image %q is not %s:<tag>", c.Image, projectImage)
			g.Expect(c.Command).To(Equal([]string{w.command}))
			g.Expect(c.Args).To(ContainElements("--leader-elect", "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081"))
			g.Expect(c.Ports).To(ContainElements(
				HaveField("ContainerPort", BeNumerically("==", 8080)), HaveField("ContainerPort", BeNumerically("==", 8081))))
			for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
				g.Expect(probe).NotTo(BeNil())
				g.Expect(probe.HTTPGet).NotTo(BeNil())
				g.Expect(probe.HTTPGet.Port.String()).To(BeElementOf("health", "8081"))
			}
			g.Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
			g.Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
			g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceCPU))
			g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceMemory))
			g.Expect(c.Resources.Limits).To(HaveKey(corev1.ResourceMemory))

			// The apiserver agrees: the system namespace enforces "restricted", and a pod made from the
			// template passes its PodSecurity admission, while one that adds a capability does not.
			ctx := t.Context()
			cl := cluster(t, w.cluster).Client
			g.Expect(dryRunAll(ctx, cl, namespaceObjects(objs))).To(BeEmpty())
			ns := &corev1.Namespace{}
			g.Expect(cl.Get(ctx, client.ObjectKey{Name: d.Namespace}, ns)).To(Succeed())
			g.Expect(ns.Labels).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "restricted"))
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: d.Name + "-pss", Labels: d.Spec.Template.Labels},
				Spec:       *spec.DeepCopy(),
			}
			g.Expect(cl.Create(ctx, pod.DeepCopy(), client.DryRunAll)).To(Succeed())
			escalating := pod.DeepCopy()
			escalating.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
			g.Expect(cl.Create(ctx, escalating, client.DryRunAll)).To(MatchError(ContainSubstring("violates PodSecurity")))
		})
	}
}

func namespaceObjects(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			out = append(out, o)
		}
	}
	return out
}

// agentInputs returns the rendered ConfigMap the agent Deployment's CLUSTER_NAME and configuration
// come from, after checking that the Deployment wires them as documented.
func agentInputs(t *testing.T, objs []*unstructured.Unstructured) *corev1.ConfigMap {
	t.Helper()
	g := NewWithT(t)
	deps, err := deployments(objs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(deps).To(HaveLen(1))
	d := deps[0]
	c := d.Spec.Template.Spec.Containers[0]
	g.Expect(c.Args).To(ContainElements("--cluster-name=$(CLUSTER_NAME)", "--config=/etc/sei-fleet/config.yaml"))

	var clusterName *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == "CLUSTER_NAME" {
			clusterName = &c.Env[i]
		}
	}
	g.Expect(clusterName).NotTo(BeNil(), "no CLUSTER_NAME env for --cluster-name=$(CLUSTER_NAME)")
	g.Expect(clusterName.ValueFrom).NotTo(BeNil())
	g.Expect(clusterName.ValueFrom.ConfigMapKeyRef).NotTo(BeNil())
	ref := clusterName.ValueFrom.ConfigMapKeyRef

	maps, err := ofKind[corev1.ConfigMap](objs, "ConfigMap")
	g.Expect(err).NotTo(HaveOccurred())
	var cm *corev1.ConfigMap
	for _, m := range maps {
		if m.Name == ref.Name && m.Namespace == d.Namespace {
			cm = m
		}
	}
	g.Expect(cm).NotTo(BeNil(), "CLUSTER_NAME refers to ConfigMap %s, which the render lacks", ref.Name)
	g.Expect(cm.Data).To(HaveKey(ref.Key))

	// /etc/sei-fleet/config.yaml is key config.yaml of the same ConfigMap.
	g.Expect(c.VolumeMounts).To(ContainElement(And(
		HaveField("MountPath", "/etc/sei-fleet"), HaveField("Name", "config"))))
	g.Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(And(
		HaveField("Name", "config"),
		HaveField("ConfigMap.Name", cm.Name),
		HaveField("ConfigMap.Items", ContainElement(And(HaveField("Key", "config.yaml"), HaveField("Path", "config.yaml")))))))
	g.Expect(cm.Data).To(HaveKey("config.yaml"))
	return cm
}

// loadAgentConfig runs the agent's own loader on a rendered config.yaml.
func loadAgentConfig(t *testing.T, content string) (*config.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return nil, err
	}
	return config.Load(path)
}

func TestAgentBaseWiresItsClusterNameAndAShippedConfigTheAgentAccepts(t *testing.T) {
	g := NewWithT(t)
	cm := agentInputs(t, renderBase(t, "agent"))
	// Empty until the user sets it: the agent then refuses to start, naming --cluster-name.
	g.Expect(cm.Data).To(HaveKeyWithValue("CLUSTER_NAME", ""))
	cfg, err := loadAgentConfig(t, cm.Data["config.yaml"])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.Images.Sidecar).To(HavePrefix("ghcr.io/sei-protocol/seictl:"))
}

func TestShippedAgentConfigFilesLoad(t *testing.T) {
	for _, rel := range []string{"deploy/agent/config.yaml", "hack/kind/agent-config.yaml"} {
		t.Run(rel, func(t *testing.T) {
			g := NewWithT(t)
			cfg, err := config.Load(filepath.Join(repoRoot(), rel))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cfg.Images.Sidecar).NotTo(BeEmpty())
		})
	}
}
