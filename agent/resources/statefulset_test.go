package resources

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestPodLabelsNeverOverrideFleetLabels(t *testing.T) {
	g := NewWithT(t)
	node := newNode("rpc-0").
		WithLabels(map[string]string{seiv1alpha1.LabelDeployment: "rpc", seiv1alpha1.LabelCluster: "eu-1"}).
		WithPodLabels(map[string]string{
			"team":                      "rpc",
			seiv1alpha1.LabelNode:       "other",
			seiv1alpha1.LabelRole:       "validator",
			"sei.io/anything":           "x",
			LabelAppName:                "not-seid",
			LabelManagedBy:              "someone",
			"app.kubernetes.io/part-of": "sei",
		}).Build()
	sts, err := BuildStatefulSet(node, devConfig())
	g.Expect(err).NotTo(HaveOccurred())
	want := Labels(node)
	want["team"] = "rpc"
	want["app.kubernetes.io/part-of"] = "sei"
	g.Expect(sts.Spec.Template.Labels).To(Equal(want))
	g.Expect(want).To(HaveKeyWithValue(seiv1alpha1.LabelDeployment, "rpc"))
	g.Expect(want).To(HaveKeyWithValue(seiv1alpha1.LabelCluster, "eu-1"))
	g.Expect(sts.Labels).NotTo(HaveKey("team"), "pod labels stay on the pod")
}

func TestReplicas(t *testing.T) {
	for _, tc := range []struct {
		node *seiv1alpha1.SeiNode
		want int32
	}{
		{newNode("rpc-0").Build(), 1},
		{newNode("rpc-0").Paused().Build(), 0},
		{newNode("val-0").MintedValidator().Paused().Build(), 0},
	} {
		g := NewWithT(t)
		sts, err := BuildStatefulSet(tc.node, devConfig())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(*sts.Spec.Replicas).To(Equal(tc.want))
		g.Expect(sts.Spec.Selector.MatchLabels).To(Equal(map[string]string{seiv1alpha1.LabelNode: tc.node.Name}))
	}
}

func TestVolumesByMode(t *testing.T) {
	for _, tc := range []struct {
		name        string
		node        *seiv1alpha1.SeiNode
		volumes     []string
		nodeKey     string
		signingKey  string
		initMounted []string
	}{
		{name: "full", node: newNode("rpc-0").Build(),
			volumes: []string{VolumeData, VolumeNodeKey, VolumeTmp}, nodeKey: "rpc-0-node-key",
			initMounted: []string{VolumeData, VolumeNodeKey, VolumeTmp}},
		{name: "full with genesis", node: newNode("rpc-0").Genesis().Build(),
			volumes: []string{VolumeData, VolumeNodeKey, VolumeGenesis, VolumeTmp}, nodeKey: "rpc-0-node-key",
			initMounted: []string{VolumeData, VolumeNodeKey, VolumeGenesis, VolumeTmp}},
		{name: "seed", node: newNode("seed-0").Seed().Build(),
			volumes: []string{VolumeData, VolumeNodeKey, VolumeTmp}, nodeKey: "seed-0-node-key",
			initMounted: []string{VolumeData, VolumeNodeKey, VolumeTmp}},
		{name: "minted validator", node: newNode("val-0").MintedValidator().Genesis().Build(),
			volumes: []string{VolumeData, VolumeNodeKey, VolumeSigningKey, VolumeGenesis, VolumeTmp},
			nodeKey: "val-0-node-key", signingKey: "val-0-signing-key",
			initMounted: []string{VolumeData, VolumeNodeKey, VolumeSigningKey, VolumeGenesis, VolumeTmp}},
		{name: "validator with Secrets", node: newNode("val-0").ValidatorWithSecrets("cons", "p2p", "op").Build(),
			volumes: []string{VolumeData, VolumeNodeKey, VolumeSigningKey, VolumeTmp}, nodeKey: "p2p", signingKey: "cons",
			initMounted: []string{VolumeData, VolumeNodeKey, VolumeSigningKey, VolumeTmp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			sts, err := BuildStatefulSet(tc.node, devConfig())
			g.Expect(err).NotTo(HaveOccurred())
			spec := &sts.Spec.Template.Spec
			var names []string
			secrets := map[string]string{}
			for _, v := range spec.Volumes {
				names = append(names, v.Name)
				if v.Secret != nil {
					secrets[v.Name] = v.Secret.SecretName
					g.Expect(*v.Secret.DefaultMode).To(Equal(int32(0o400)))
				}
				if v.ConfigMap != nil {
					g.Expect(v.ConfigMap.Name).To(Equal(testGenesisCM))
				}
			}
			g.Expect(names).To(Equal(tc.volumes))
			g.Expect(secrets[VolumeNodeKey]).To(Equal(tc.nodeKey))
			g.Expect(secrets[VolumeSigningKey]).To(Equal(tc.signingKey))

			g.Expect(mountNames(spec, ContainerSeidInit)).To(Equal(tc.initMounted))
			for _, c := range []string{ContainerSidecar, ContainerSeid} {
				g.Expect(mountNames(spec, c)).To(Equal([]string{VolumeData, VolumeTmp}), "%s mounts no Secret", c)
			}

			init, err := containerByName(spec, ContainerSeidInit)
			g.Expect(err).NotTo(HaveOccurred())
			env := envMap(init)
			if tc.node.Spec.Genesis != nil {
				g.Expect(env).To(HaveKeyWithValue(envGenesisSHA256, testSHA256))
			} else {
				g.Expect(env).NotTo(HaveKey(envGenesisSHA256))
			}
			g.Expect(env).To(HaveKeyWithValue(envMode, string(tc.node.Spec.Mode())))
		})
	}
}

func TestSeidContainer(t *testing.T) {
	for _, tc := range []struct {
		node      *seiv1alpha1.SeiNode
		readiness string
		grace     int64
	}{
		{newNode("rpc-0").Build(), PortNameRPC, 120},
		{newNode("archive-0").Archive().Build(), PortNameRPC, 120},
		{newNode("seed-0").Seed().Build(), PortNameP2P, 120},
		{newNode("val-0").MintedValidator().Build(), PortNameRPC, 300},
	} {
		g := NewWithT(t)
		sts, err := BuildStatefulSet(tc.node, devConfig())
		g.Expect(err).NotTo(HaveOccurred())
		spec := &sts.Spec.Template.Spec
		seid, err := containerByName(spec, ContainerSeid)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(seid.ReadinessProbe.TCPSocket.Port.StrVal).To(Equal(tc.readiness), string(tc.node.Spec.Mode()))
		g.Expect(seid.LivenessProbe).To(BeNil())
		g.Expect(seid.StartupProbe).To(BeNil())
		g.Expect(*spec.TerminationGracePeriodSeconds).To(Equal(tc.grace))
		g.Expect(spec.InitContainers[0].Name).To(Equal(ContainerSeidInit), "seid-init runs before the sidecar starts")
		g.Expect(spec.InitContainers[1].Name).To(Equal(ContainerSidecar))
		g.Expect(*spec.InitContainers[1].RestartPolicy).To(Equal(corev1.ContainerRestartPolicyAlways))
		g.Expect(*spec.AutomountServiceAccountToken).To(BeFalse())
		g.Expect(*spec.ShareProcessNamespace).To(BeTrue())
	}
}

func TestResourcesAndSidecarSettings(t *testing.T) {
	g := NewWithT(t)
	prod := prodConfig(t)

	// From the configuration, per mode.
	sts, err := BuildStatefulSet(newNode("archive-0").Archive().Build(), prod)
	g.Expect(err).NotTo(HaveOccurred())
	spec := &sts.Spec.Template.Spec
	seid, _ := containerByName(spec, ContainerSeid)
	g.Expect(seid.Resources.Requests.Memory().String()).To(Equal("256Gi"))
	init, _ := containerByName(spec, ContainerSeidInit)
	g.Expect(init.Resources).To(Equal(seid.Resources))
	sidecar, _ := containerByName(spec, ContainerSidecar)
	g.Expect(sidecar.Image).To(Equal(testSidecar))
	g.Expect(sidecar.Resources).To(Equal(prod.Sidecar.Resources.Requirements()))
	g.Expect(envMap(sidecar)).To(HaveKeyWithValue("SEI_SIDECAR_PORT", "7777"))
	g.Expect(envMap(sidecar)).To(HaveKeyWithValue("SEI_GENESIS_BUCKET", "genesis-bucket"))

	// From the spec.
	own := requirements("3", "5Gi")
	node := newNode("archive-0").Archive().WithResources(own).
		WithSidecar(seiv1alpha1.SidecarSpec{Image: "x/seictl:v2", Port: 9777, Resources: &own}).Build()
	sts, err = BuildStatefulSet(node, prod)
	g.Expect(err).NotTo(HaveOccurred())
	spec = &sts.Spec.Template.Spec
	seid, _ = containerByName(spec, ContainerSeid)
	sidecar, _ = containerByName(spec, ContainerSidecar)
	g.Expect(seid.Resources).To(Equal(own))
	g.Expect(sidecar.Resources).To(Equal(own))
	g.Expect(sidecar.Image).To(Equal("x/seictl:v2"))
	g.Expect(sidecar.Ports[0].ContainerPort).To(Equal(int32(9777)))
	g.Expect(envMap(sidecar)).To(HaveKeyWithValue("SEI_SIDECAR_PORT", "9777"))
	g.Expect(envMap(seid)).To(HaveKeyWithValue("SEI_SIDECAR_PORT", "9777"), "the start gate polls the same port")

	// The rendered objects never alias the configuration or the node.
	seid.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("999")
	sts.Spec.Template.Spec.NodeSelector["karpenter.sh/nodepool"] = "changed"
	g.Expect(node.Spec.Resources.Requests.Cpu().String()).To(Equal("3"))
	g.Expect(prod.SchedulingFor(seiv1alpha1.ModeArchive).NodeSelector).To(HaveKeyWithValue("karpenter.sh/nodepool", "sei-nodes"))
}

func TestBuildIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	node := newNode("val-0").MintedValidator().Genesis().WithPodLabels(map[string]string{"a": "1", "b": "2"}).Build()
	first, err := BuildStatefulSet(node, prodConfig(t))
	g.Expect(err).NotTo(HaveOccurred())
	for range 5 {
		again, err := BuildStatefulSet(node, prodConfig(t))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(again).To(Equal(first))
	}
}

func mountNames(spec *corev1.PodSpec, container string) []string {
	c, err := containerByName(spec, container)
	if err != nil {
		return nil
	}
	var names []string
	for _, m := range c.VolumeMounts {
		names = append(names, m.Name)
	}
	return names
}

func envMap(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}
