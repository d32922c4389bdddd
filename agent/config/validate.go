package config

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// Validate reports every problem in c, each prefixed with the path of the field at fault, joined into
// one error. It judges c as it is: Load fills defaults first, a Config built in code must be complete.
func (c *Config) Validate() error {
	var p problems
	if c.Images.Sidecar == "" {
		p.addf("images.sidecar", "required")
	} else if strings.ContainsAny(c.Images.Sidecar, " \t\n") {
		p.addf("images.sidecar", "must not contain spaces, got %q", c.Images.Sidecar)
	}
	if h := c.SeidHome; !path.IsAbs(h) || path.Clean(h) != h || h == "/" || h == "/tmp" || strings.ContainsAny(h, " \t\n") {
		p.addf("seidHome", "must be a clean absolute path without spaces, other than / and /tmp, got %q", h)
	}
	p.dnsSubdomain("clusterDomain", c.ClusterDomain, true)
	if m := c.NodeEndpoints; m != EndpointsDNS && m != EndpointsPodIP {
		p.addf("nodeEndpoints", "must be %s or %s, got %q", EndpointsDNS, EndpointsPodIP, m)
	}
	p.storage(&c.Storage)
	for _, e := range c.Resources.entries("resources") {
		p.resources(e.path, *e.value)
	}
	p.sidecar(&c.Sidecar)
	for _, e := range c.Scheduling.entries("scheduling") {
		p.scheduling(e.path, e.value)
	}
	p.p2p(&c.P2P)
	p.security(&c.Security)
	p.signing(&c.Signing)
	p.networkPolicy(&c.NetworkPolicy)
	return aggregate.Join(p...)
}

// problems collects validation errors.
type problems []error

func (p *problems) addf(field, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

func (p *problems) storage(s *ByMode[Volume]) {
	if s.Default.Size == nil {
		p.addf("storage.default.size", "required")
	}
	for _, e := range s.entries("storage") {
		p.dnsSubdomain(e.path+".storageClassName", e.value.StorageClassName, false)
		if q := e.value.Size; q != nil && p.quantity(e.path+".size", *q) && q.Sign() <= 0 {
			p.addf(e.path+".size", "must be greater than zero, got %s", q.String())
		}
	}
}

// quantity reports an unparsed or negative quantity and says whether q is usable.
func (p *problems) quantity(field string, q Quantity) bool {
	if q.invalid {
		p.addf(field, "quantities must be like 500Gi, got %q", q.unparsed)
		return false
	}
	if q.Sign() < 0 {
		p.addf(field, "must not be negative, got %s", q.String())
		return false
	}
	return true
}

func (p *problems) resources(field string, r Resources) {
	for _, kind := range []struct {
		name string
		list ResourceList
	}{{"requests", r.Requests}, {"limits", r.Limits}} {
		for _, name := range slices.Sorted(maps.Keys(kind.list)) {
			if msgs := content.IsLabelKey(string(name)); len(msgs) > 0 {
				p.addf(field+"."+kind.name, "%q is not a resource name: %s", name, msgs[0])
			}
			p.quantity(field+"."+kind.name+"."+string(name), kind.list[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		req, lim := r.Requests[name], r.Limits[name]
		if _, limited := r.Limits[name]; limited && !req.invalid && !lim.invalid && req.Cmp(lim.Quantity) > 0 {
			p.addf(field+".requests."+string(name), "%s exceeds limits.%s %s", req.String(), name, lim.String())
		}
	}
}

func (p *problems) sidecar(s *Sidecar) {
	if s.Port < 1024 || s.Port > 65535 {
		p.addf("sidecar.port", "must be between 1024 and 65535, got %d", s.Port)
	} else if name, taken := seidPorts[s.Port]; taken {
		p.addf("sidecar.port", "%d is seid's %s port", s.Port, name)
	}
	seen := map[string]bool{}
	for i, env := range s.Env {
		field := fmt.Sprintf("sidecar.env[%d]", i)
		switch {
		case env.Name == "":
			p.addf(field+".name", "required")
		case len(validation.IsEnvVarName(env.Name)) > 0:
			p.addf(field+".name", "%q is not an environment variable name", env.Name)
		case slices.Contains(AgentSidecarEnv, env.Name):
			p.addf(field+".name", "%s is set by the agent", env.Name)
		case seen[env.Name]:
			p.addf(field+".name", "%s is set twice", env.Name)
		case slices.Contains(RequiredSidecarEnv, env.Name) && env.Value == "" && env.ValueFrom == nil:
			p.addf(field+".value", "%s must not be empty: seictl treats empty as unset", env.Name)
		}
		seen[env.Name] = true
	}
	for _, name := range RequiredSidecarEnv {
		if !seen[name] {
			p.addf("sidecar.env", "%s is required: seictl refuses to start without it (any value works while no task uses S3)", name)
		}
	}
	p.resources("sidecar.resources", s.Resources)
}

func (p *problems) scheduling(field string, s *Scheduling) {
	p.dnsSubdomain(field+".serviceAccountName", s.ServiceAccountName, false)
	p.dnsSubdomain(field+".priorityClassName", s.PriorityClassName, false)
	if g := s.TerminationGracePeriodSeconds; g != nil && (*g < 1 || *g > 3600) {
		p.addf(field+".terminationGracePeriodSeconds", "%d is not between 1 and 3600", *g)
	}
	for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
		p.label(fmt.Sprintf("%s.nodeSelector[%q]", field, k), k, s.NodeSelector[k])
	}
	for i, t := range s.Tolerations {
		p.toleration(fmt.Sprintf("%s.tolerations[%d]", field, i), t)
	}
}

func (p *problems) toleration(field string, t corev1.Toleration) {
	if t.Key != "" {
		if msgs := content.IsLabelKey(t.Key); len(msgs) > 0 {
			p.addf(field+".key", "%q is not a label key: %s", t.Key, msgs[0])
		}
	}
	switch t.Operator {
	case corev1.TolerationOpExists:
		if t.Value != "" {
			p.addf(field+".value", "must be empty when operator is Exists")
		}
	case corev1.TolerationOpEqual, "":
		if t.Key == "" {
			p.addf(field+".key", "required unless operator is Exists")
		}
	default:
		p.addf(field+".operator", "must be Equal or Exists, got %q", t.Operator)
	}
	switch t.Effect {
	case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		p.addf(field+".effect", "must be NoSchedule, PreferNoSchedule or NoExecute, got %q", t.Effect)
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		p.addf(field+".tolerationSeconds", "only applies with effect NoExecute")
	}
}

func (p *problems) p2p(c *P2P) {
	if c.ServiceType != seiv1alpha1.P2PLoadBalancer && c.ServiceType != seiv1alpha1.P2PNodePort {
		p.addf("p2p.serviceType", "must be LoadBalancer or NodePort, got %q", c.ServiceType)
	}
	if c.NodeAddressType != NodeAddressExternalIP && c.NodeAddressType != NodeAddressInternalIP {
		p.addf("p2p.nodeAddressType", "must be ExternalIP or InternalIP, got %q", c.NodeAddressType)
	}
	for _, k := range slices.Sorted(maps.Keys(c.LoadBalancerAnnotations)) {
		if msgs := content.IsLabelKey(k); len(msgs) > 0 {
			p.addf(fmt.Sprintf("p2p.loadBalancerAnnotations[%q]", k), "not an annotation key: %s", msgs[0])
		}
	}
	if c.LoadBalancerClass != "" {
		if msgs := content.IsLabelKey(c.LoadBalancerClass); len(msgs) > 0 {
			p.addf("p2p.loadBalancerClass", "%q is not a class name such as service.k8s.aws/nlb: %s", c.LoadBalancerClass, msgs[0])
		}
	}
}

func (p *problems) security(s *Security) {
	switch {
	case s.RunAsUser == nil:
		p.addf("security.runAsUser", "required")
	case *s.RunAsUser == 0:
		p.addf("security.runAsUser", "must not be 0: node pods run as non-root")
	case len(validation.IsValidUserID(*s.RunAsUser)) > 0:
		p.addf("security.runAsUser", "%s, got %d", validation.IsValidUserID(*s.RunAsUser)[0], *s.RunAsUser)
	}
	for _, id := range []struct {
		field string
		value *int64
	}{{"security.runAsGroup", s.RunAsGroup}, {"security.fsGroup", s.FSGroup}} {
		if id.value == nil {
			p.addf(id.field, "required")
		} else if msgs := validation.IsValidGroupID(*id.value); len(msgs) > 0 {
			p.addf(id.field, "%s, got %d", msgs[0], *id.value)
		}
	}
}

func (p *problems) dnsSubdomain(field, value string, required bool) {
	if value == "" {
		if required {
			p.addf(field, "required")
		}
		return
	}
	if msgs := validation.IsDNS1123Subdomain(value); len(msgs) > 0 {
		p.addf(field, "%q is not a DNS subdomain: %s", value, msgs[0])
	}
}

func (p *problems) label(field, key, value string) {
	if msgs := content.IsLabelKey(key); len(msgs) > 0 {
		p.addf(field, "not a label key: %s", msgs[0])
	}
	if msgs := content.IsLabelValue(value); len(msgs) > 0 {
		p.addf(field, "%q is not a label value: %s", value, msgs[0])
	}
}

func (p *problems) signing(s *Signing) {
	switch n := s.DoubleSignCheckHeight; {
	case n == nil:
		p.addf("signing.doubleSignCheckHeight", "required")
	case *n < 0:
		p.addf("signing.doubleSignCheckHeight", "must not be negative, got %d", *n)
	case *n == 1:
		// seid looks at heights h-1 .. h-(n-1): with 1 it looks at none.
		p.addf("signing.doubleSignCheckHeight", "1 checks no block in seid: use 0 to turn the check off, or 2 or more")
	}
}
