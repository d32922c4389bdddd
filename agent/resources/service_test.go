package resources

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestP2PServiceType(t *testing.T) {
	prod := prodConfig(t) // LoadBalancer, with annotations and a class
	for _, tc := range []struct {
		name        string
		node        *seiv1alpha1.SeiNode
		want        corev1.ServiceType
		annotations bool
	}{
		{"config default", newNode("rpc-0").Build(), corev1.ServiceTypeLoadBalancer, true},
		{"spec without a type", newNode("rpc-0").WithP2P("").Build(), corev1.ServiceTypeLoadBalancer, true},
		{"spec NodePort", newNode("rpc-0").WithP2P(seiv1alpha1.P2PNodePort).Build(), corev1.ServiceTypeNodePort, false},
		{"spec LoadBalancer", newNode("rpc-0").WithP2P(seiv1alpha1.P2PLoadBalancer).Build(), corev1.ServiceTypeLoadBalancer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			svc, err := BuildP2PService(tc.node, prod)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(svc.Name).To(Equal("rpc-0-p2p"))
			g.Expect(svc.Spec.Type).To(Equal(tc.want))
			g.Expect(svc.Spec.ExternalTrafficPolicy).To(Equal(corev1.ServiceExternalTrafficPolicyCluster))
			g.Expect(svc.Spec.Ports).To(HaveLen(1))
			g.Expect(svc.Spec.Ports[0].Port).To(Equal(int32(PortP2P)))
			g.Expect(svc.Spec.Ports[0].NodePort).To(BeZero(), "the API server allocates node ports")
			if tc.annotations {
				g.Expect(svc.Annotations).To(Equal(prod.P2P.LoadBalancerAnnotations))
				g.Expect(*svc.Spec.LoadBalancerClass).To(Equal("service.k8s.aws/nlb"))
			} else {
				g.Expect(svc.Annotations).To(BeEmpty())
				g.Expect(svc.Spec.LoadBalancerClass).To(BeNil(), "a class is only valid on LoadBalancer Services")
			}
		})
	}

	g := NewWithT(t)
	svc, err := BuildP2PService(newNode("rpc-0").Build(), devConfig())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeNodePort), "the dev default")
}

func TestHeadlessService(t *testing.T) {
	g := NewWithT(t)
	node := newNode("rpc-0").WithSidecar(seiv1alpha1.SidecarSpec{Port: 8777}).Build()
	svc, err := BuildHeadlessService(node, devConfig())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(svc.Name).To(Equal("rpc-0"))
	g.Expect(svc.Spec.ClusterIP).To(Equal(corev1.ClusterIPNone))
	g.Expect(svc.Spec.PublishNotReadyAddresses).To(BeTrue())
	g.Expect(svc.Spec.Selector).To(Equal(SelectorLabels(node)))
	ports := map[string]int32{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = p.Port
	}
	g.Expect(ports).To(Equal(map[string]int32{
		PortNameP2P: PortP2P, PortNameRPC: PortRPC, PortNameREST: PortREST, PortNameGRPC: PortGRPC,
		PortNameEVMRPC: PortEVMRPC, PortNameEVMWS: PortEVMWS, PortNameMetrics: PortMetrics, PortNameSidecar: 8777,
	}))
}

func TestDataPVC(t *testing.T) {
	prod := prodConfig(t)
	for _, tc := range []struct {
		name  string
		node  *seiv1alpha1.SeiNode
		size  string
		class *string
	}{
		{name: "full from config", node: newNode("rpc-0").Build(), size: "500Gi", class: ptr.To("gp3")},
		{name: "archive from config", node: newNode("rpc-0").Archive().Build(), size: "4Ti", class: ptr.To("io2")},
		{name: "seed size, default class", node: newNode("rpc-0").Seed().Build(), size: "20Gi", class: ptr.To("gp3")},
		{name: "spec size only", node: newNode("rpc-0").WithDataVolume("1Ti", "").Build(), size: "1Ti", class: ptr.To("gp3")},
		{name: "spec class only", node: newNode("rpc-0").Archive().WithDataVolume("", "fast").Build(), size: "4Ti", class: ptr.To("fast")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			pvc, err := BuildDataPVC(tc.node, prod)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pvc.Name).To(Equal("data-rpc-0"))
			g.Expect(pvc.Spec.AccessModes).To(ConsistOf(corev1.ReadWriteOnce))
			size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
			g.Expect(size.Cmp(resource.MustParse(tc.size))).To(BeZero(), size.String())
			g.Expect(pvc.Spec.StorageClassName).To(Equal(tc.class))
		})
	}

	g := NewWithT(t)
	pvc, err := BuildDataPVC(newNode("rpc-0").Build(), devConfig())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pvc.Spec.StorageClassName).To(BeNil(), "no class: the cluster's default StorageClass")
}

// TestEveryObjectIsOwnedByTheNode: deleting a SeiNode collects its objects, except a validator's data
// claim, which holds the signing state and must outlive a fence or a re-created SeiNode.
func TestEveryObjectIsOwnedByTheNode(t *testing.T) {
	for _, node := range []*seiv1alpha1.SeiNode{
		newNode("val-0").MintedValidator().Genesis().Build(),
		newNode("rpc-0").Build(),
		newNode("archive-0").Archive().Build(),
		newNode("seed-0").Seed().Build(),
	} {
		t.Run(node.Name, func(t *testing.T) {
			g := NewWithT(t)
			objs := render(g, node, devConfig())
			for _, owners := range [][]metav1.OwnerReference{objs.sts.OwnerReferences, objs.headless.OwnerReferences, objs.p2p.OwnerReferences} {
				g.Expect(owners).To(ConsistOf(ownedBy(node)))
			}
			if node.Spec.Validator != nil {
				g.Expect(objs.pvc.OwnerReferences).To(BeEmpty())
			} else {
				g.Expect(objs.pvc.OwnerReferences).To(ConsistOf(ownedBy(node)))
			}
		})
	}
}
