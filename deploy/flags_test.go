package deploy_test

import (
	"flag"
	"io"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/sei-protocol/sei-fleet/agent"
	"github.com/sei-protocol/sei-fleet/hub"
)

// binaryFlags builds the flag set of a binary as its main does, and the validation it runs after.
func binaryFlags(command string) (*flag.FlagSet, func() error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	(&zap.Options{}).BindFlags(fs)
	if command == "/hub" {
		opts := hub.NewOptions()
		opts.AddFlags(fs)
		return fs, opts.Validate
	}
	opts := agent.NewOptions()
	opts.AddFlags(fs)
	return fs, opts.Validate
}

// expandedArgs returns the Deployment's container args with $(VAR) references expanded as the kubelet
// does, from the container's env: literal values, the pod's namespace, and keys of rendered ConfigMaps.
func expandedArgs(t *testing.T, d *appsv1.Deployment, objs []*unstructured.Unstructured) []string {
	t.Helper()
	g := NewWithT(t)
	maps, err := ofKind[corev1.ConfigMap](objs, "ConfigMap")
	g.Expect(err).NotTo(HaveOccurred())
	c := d.Spec.Template.Spec.Containers[0]
	var pairs []string
	for _, e := range c.Env {
		value := e.Value
		switch {
		case e.ValueFrom == nil:
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			value = d.Namespace
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			found := false
			for _, m := range maps {
				if m.Namespace == d.Namespace && m.Name == ref.Name {
					value, found = m.Data[ref.Key]
				}
			}
			g.Expect(found).To(BeTrue(), "env %s: no key %s in a rendered ConfigMap %s", e.Name, ref.Key, ref.Name)
		default:
			continue // resource fields (GOMEMLIMIT): not referenced by args
		}
		pairs = append(pairs, "$("+e.Name+")", value)
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, 0, len(c.Args))
	for _, a := range c.Args {
		expanded := r.Replace(a)
		g.Expect(expanded).NotTo(ContainSubstring("$("), "arg %q refers to an env var the container lacks", a)
		out = append(out, expanded)
	}
	return out
}

// The binaries parse the Deployments' args with their own flag sets: a misspelt or removed flag would
// otherwise only show as a crash-looping pod.
func TestDeploymentArgsAreFlagsTheBinariesAccept(t *testing.T) {
	for dir := range workloads {
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			objs := renderBase(t, dir)
			deps, err := deployments(objs)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(deps).To(HaveLen(1))
			c := deps[0].Spec.Template.Spec.Containers[0]
			fs, validate := binaryFlags(c.Command[0])
			g.Expect(fs.Parse(expandedArgs(t, deps[0], objs))).To(Succeed())
			g.Expect(fs.Args()).To(BeEmpty())
			g.Expect(fs.Lookup("namespace").Value.String()).To(Equal("sei-fleet-system"))
			if dir == "agent" {
				// The base leaves the cluster name to the user; the agent then refuses to start, saying why.
				g.Expect(validate()).To(MatchError(ContainSubstring("--cluster-name is required")))
				g.Expect(fs.Set("cluster-name", "us-east-1")).To(Succeed())
			}
			g.Expect(validate()).To(Succeed())
		})
	}
}
