package resources

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Application protocols of ports that are not plain HTTP or TCP, for meshes and gateways in front of
// the headless Service (standard values from KEP-3726).
const (
	appProtocolH2C = "kubernetes.io/h2c"
	appProtocolWS  = "kubernetes.io/ws"
)

// BuildHeadlessService renders the StatefulSet's governing Service, which gives the pod its stable DNS
// name <node>-0.<node>.<namespace>.svc. It lists every seid port and the sidecar's, and publishes the
// pod before it is ready: the agent must reach the sidecar while seid still waits for it, and a node
// that is catching up is not ready but must still be reachable in its cluster.
func BuildHeadlessService(node *seiv1alpha1.SeiNode, cfg *config.Config) (*corev1.Service, error) {
	if err := checkInput(node, cfg); err != nil {
		return nil, err
	}
	ports := make([]corev1.ServicePort, 0, len(seidPorts)+1)
	for _, p := range seidPorts {
		sp := servicePort(p.Name, p.ContainerPort)
		switch p.Name {
		case PortNameGRPC:
			sp.AppProtocol = ptr.To(appProtocolH2C)
		case PortNameEVMWS:
			sp.AppProtocol = ptr.To(appProtocolWS)
		}
		ports = append(ports, sp)
	}
	ports = append(ports, servicePort(PortNameSidecar, SidecarPort(node, cfg)))
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "Service"},
		ObjectMeta: objectMeta(node, HeadlessServiceName(node), nil),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 SelectorLabels(node),
			Ports:                    ports,
			PublishNotReadyAddresses: true,
		},
	}, nil
}

// BuildP2PService renders the Service peers in other clusters dial: spec.p2p.serviceType, else the
// configuration's, with only the P2P port.
//
// externalTrafficPolicy is Cluster. For a NodePort that is what makes discovery work: the agent
// advertises one Node's address, and with Cluster every Node forwards the port to wherever the pod
// runs, so the advertised address stays good when the pod moves; with Local only the pod's own Node
// answers. The cost is source NAT, which seid can live with: peers authenticate by node key, not by
// address. LoadBalancer Services use the same policy for one rule everywhere.
//
// The Service publishes the pod before it is ready, like the headless one: a node catching up needs
// its peers most exactly while it is not ready.
//
// A node that serves state sync (spec.serveStateSync) publishes its Tendermint RPC here too: nodes
// bootstrapping by state sync in other clusters use it as a light-client witness.
func BuildP2PService(node *seiv1alpha1.SeiNode, cfg *config.Config) (*corev1.Service, error) {
	if err := checkInput(node, cfg); err != nil {
		return nil, err
	}
	svcType := cfg.P2P.ServiceType
	if p := node.Spec.P2P; p != nil && p.ServiceType != "" {
		svcType = p.ServiceType
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "Service"},
		ObjectMeta: objectMeta(node, P2PServiceName(node), map[string]string{seiv1alpha1.LabelComponent: ComponentP2P}),
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceType(svcType),
			Selector:                 SelectorLabels(node),
			Ports:                    p2pServicePorts(node),
			ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicyCluster,
			PublishNotReadyAddresses: true,
		},
	}
	if svcType == seiv1alpha1.P2PLoadBalancer {
		if len(cfg.P2P.LoadBalancerAnnotations) > 0 {
			svc.Annotations = make(map[string]string, len(cfg.P2P.LoadBalancerAnnotations))
			for k, v := range cfg.P2P.LoadBalancerAnnotations {
				svc.Annotations[k] = v
			}
		}
		if cfg.P2P.LoadBalancerClass != "" {
			svc.Spec.LoadBalancerClass = ptr.To(cfg.P2P.LoadBalancerClass)
		}
	}
	return svc, nil
}

func p2pServicePorts(node *seiv1alpha1.SeiNode) []corev1.ServicePort {
	ports := []corev1.ServicePort{servicePort(PortNameP2P, PortP2P)}
	if node.Spec.ServeStateSync != nil {
		ports = append(ports, servicePort(PortNameRPC, PortRPC))
	}
	return ports
}

// servicePort targets the container port by name, so a Service never needs to change if a number does.
func servicePort(name string, port int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromString(name), Protocol: corev1.ProtocolTCP}
}
