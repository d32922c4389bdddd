package resources

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// checkObjects applies, without an API server, the parts of Kubernetes' own validation a generator
// can get wrong: names, labels, owner references, a pod template kubelet would accept, and Services
// and volumes that point at things that exist. The lead's integration test adds a server-side dry-run.
func checkObjects(t *testing.T, node *seiv1alpha1.SeiNode, objs renderedObjects) {
	t.Helper()
	g := NewWithT(t)
	for _, m := range []metav1.ObjectMeta{objs.sts.ObjectMeta, objs.headless.ObjectMeta, objs.p2p.ObjectMeta, objs.pvc.ObjectMeta} {
		g.Expect(m.Namespace).To(Equal(node.Namespace), m.Name)
		g.Expect(validation.IsDNS1123Subdomain(m.Name)).To(BeEmpty(), m.Name)
		checkLabels(g, m.Name, m.Labels)
		for k, v := range Labels(node) {
			g.Expect(m.Labels).To(HaveKeyWithValue(k, v), m.Name)
		}
		if m.Name == objs.pvc.Name && node.Spec.Validator != nil {
			g.Expect(m.OwnerReferences).To(BeEmpty(), "a validator's data claim outlives its SeiNode")
		} else {
			g.Expect(m.OwnerReferences).To(ConsistOf(ownedBy(node)), m.Name)
		}
	}
	for _, svc := range []*corev1.Service{objs.headless, objs.p2p} {
		g.Expect(validation.IsDNS1035Label(svc.Name)).To(BeEmpty(), "Service names are DNS-1035 labels")
	}

	tmpl := &objs.sts.Spec.Template
	checkPodTemplate(g, tmpl)
	for k, v := range objs.sts.Spec.Selector.MatchLabels {
		g.Expect(tmpl.Labels).To(HaveKeyWithValue(k, v), "the selector must select the template")
	}

	named := map[string]bool{}
	for _, c := range allContainers(&tmpl.Spec) {
		for _, p := range c.Ports {
			named[p.Name] = true
		}
	}
	for _, svc := range []*corev1.Service{objs.headless, objs.p2p} {
		for k, v := range svc.Spec.Selector {
			g.Expect(tmpl.Labels).To(HaveKeyWithValue(k, v), "Service %s must select the pod", svc.Name)
		}
		names := map[string]bool{}
		for _, p := range svc.Spec.Ports {
			g.Expect(validation.IsDNS1123Label(p.Name)).To(BeEmpty(), p.Name)
			g.Expect(names).NotTo(HaveKey(p.Name), "Service %s port names are unique", svc.Name)
			names[p.Name] = true
			g.Expect(p.TargetPort.Type).To(Equal(intstr.String))
			g.Expect(named).To(HaveKey(p.TargetPort.StrVal), "Service %s targets a port no container has", svc.Name)
		}
	}

	var claim string
	for _, v := range tmpl.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	g.Expect(claim).To(Equal(objs.pvc.Name), "the pod mounts the claim that is rendered")
}

// checkPodTemplate checks a pod template the way the API server and kubelet would.
func checkPodTemplate(g Gomega, tmpl *corev1.PodTemplateSpec) {
	checkLabels(g, "pod template", tmpl.Labels)
	spec := &tmpl.Spec

	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		g.Expect(validation.IsDNS1123Label(v.Name)).To(BeEmpty(), v.Name)
		g.Expect(volumes).NotTo(HaveKey(v.Name), "volume names are unique")
		volumes[v.Name] = true
		g.Expect(sources(v.VolumeSource)).To(Equal(1), "volume %s has exactly one source", v.Name)
	}

	containerNames, portNames, portNumbers := map[string]bool{}, map[string]bool{}, map[int32]bool{}
	for _, c := range allContainers(spec) {
		g.Expect(validation.IsDNS1123Label(c.Name)).To(BeEmpty(), c.Name)
		g.Expect(containerNames).NotTo(HaveKey(c.Name), "container names are unique across init and app containers")
		containerNames[c.Name] = true
		g.Expect(c.Image).NotTo(BeEmpty(), c.Name)

		ports := map[string]bool{}
		for _, p := range c.Ports {
			g.Expect(validation.IsValidPortName(p.Name)).To(BeEmpty(), "port %q of %s: IANA service name, at most 15 characters", p.Name, c.Name)
			g.Expect(portNames).NotTo(HaveKey(p.Name), "port names are unique in the pod")
			g.Expect(portNumbers).NotTo(HaveKey(p.ContainerPort), "port numbers are unique in the pod")
			portNames[p.Name], portNumbers[p.ContainerPort], ports[p.Name] = true, true, true
		}
		for _, probe := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
			if port, ok := probePort(probe); ok && port.Type == intstr.String {
				g.Expect(ports).To(HaveKey(port.StrVal), "a probe of %s names a port the container has", c.Name)
			}
		}

		paths := map[string]bool{}
		for _, m := range c.VolumeMounts {
			g.Expect(volumes).To(HaveKey(m.Name), "%s mounts volume %s, which the pod must have", c.Name, m.Name)
			g.Expect(paths).NotTo(HaveKey(m.MountPath), "%s mount paths are unique", c.Name)
			paths[m.MountPath] = true
		}
		envs := map[string]bool{}
		for _, e := range c.Env {
			g.Expect(validation.IsEnvVarName(e.Name)).To(BeEmpty(), e.Name)
			g.Expect(envs).NotTo(HaveKey(e.Name), "%s sets %s once", c.Name, e.Name)
			envs[e.Name] = true
		}

		sc := c.SecurityContext
		g.Expect(sc).NotTo(BeNil(), c.Name)
		g.Expect(*sc.AllowPrivilegeEscalation).To(BeFalse(), c.Name)
		g.Expect(*sc.ReadOnlyRootFilesystem).To(BeTrue(), c.Name)
		g.Expect(sc.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")), c.Name)
		g.Expect(paths).To(HaveKey(mountTmp), "%s has a writable /tmp under its read-only root", c.Name)
	}
	for _, c := range spec.Containers {
		g.Expect(c.RestartPolicy).To(BeNil(), "app containers take the pod's restart policy")
	}

	psc := spec.SecurityContext
	g.Expect(*psc.RunAsNonRoot).To(BeTrue())
	g.Expect(*psc.RunAsUser).NotTo(BeZero())
	g.Expect(psc.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
}

func checkLabels(g Gomega, owner string, labels map[string]string) {
	for k, v := range labels {
		g.Expect(content.IsLabelKey(k)).To(BeEmpty(), "%s label key %q", owner, k)
		g.Expect(content.IsLabelValue(v)).To(BeEmpty(), "%s label %s value %q", owner, k, v)
	}
}

func ownedBy(node *seiv1alpha1.SeiNode) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{
		APIVersion: "sei.io/v1alpha1", Kind: "SeiNode", Name: node.Name, UID: node.UID,
		Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

func allContainers(spec *corev1.PodSpec) []corev1.Container {
	return append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
}

func probePort(p *corev1.Probe) (intstr.IntOrString, bool) {
	switch {
	case p == nil:
		return intstr.IntOrString{}, false
	case p.HTTPGet != nil:
		return p.HTTPGet.Port, true
	case p.TCPSocket != nil:
		return p.TCPSocket.Port, true
	default:
		return intstr.IntOrString{}, false
	}
}

// sources counts the sources a volume sets (the API requires exactly one).
func sources(s corev1.VolumeSource) int {
	n := 0
	for _, set := range []bool{s.PersistentVolumeClaim != nil, s.Secret != nil, s.ConfigMap != nil, s.EmptyDir != nil,
		s.HostPath != nil, s.Projected != nil, s.CSI != nil, s.Ephemeral != nil, s.DownwardAPI != nil} {
		if set {
			n++
		}
	}
	return n
}

// containerByName finds a container among init and app containers.
func containerByName(spec *corev1.PodSpec, name string) (corev1.Container, error) {
	for _, c := range allContainers(spec) {
		if c.Name == name {
			return c, nil
		}
	}
	return corev1.Container{}, fmt.Errorf("no container %s", name)
}
