package resources

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the builders' output")

// renderedObjects are everything the builders render for one node.
type renderedObjects struct {
	sts           *appsv1.StatefulSet
	headless, p2p *corev1.Service
	pvc           *corev1.PersistentVolumeClaim
}

// TestGolden renders every object of a set of representative nodes and compares them with
// testdata/<case>.golden.yaml. Run `go test ./agent/resources/ -update` after an intended change and
// review the diff: it is the change to what runs in every member cluster.
func TestGolden(t *testing.T) {
	prod := prodConfig(t)
	for _, tc := range []struct {
		name string
		node *seiv1alpha1.SeiNode
		cfg  *config.Config
	}{
		{name: "full-node", node: newNode("rpc-0").Build(), cfg: devConfig()},
		{name: "archive", node: newNode("archive-0").Archive().Build(), cfg: prod},
		{name: "seed", node: newNode("seed-0").Seed().Build(), cfg: prod},
		{
			name: "validator-minted-genesis",
			node: newNode("val-0").MintedValidator().Genesis().WithLabels(map[string]string{
				seiv1alpha1.LabelDeployment: "devnet", seiv1alpha1.LabelCluster: "eu-1", seiv1alpha1.LabelOrdinal: "0",
				seiv1alpha1.LabelDeploymentUID: "6f1c2e9a-3b7d-4e58-9a0c-d2f4b6e8a1c3",
			}).Build(),
			cfg: prod,
		},
		{
			name: "validator-existing-keys",
			node: newNode("validator-0").ValidatorWithSecrets("validator-0-consensus", "validator-0-p2p", "").With(func(n *seiv1alpha1.SeiNode) {
				n.Spec.Validator.SigningStateFloor = 8_500_000
			}).Build(),
			cfg: prod,
		},
		{name: "paused", node: newNode("rpc-1").Paused().Build(), cfg: devConfig()},
		{
			name: "overrides",
			node: newNode("rpc-2").Genesis().
				WithResources(requirements("4", "32Gi")).
				WithDataVolume("2Ti", "fast-ssd").
				WithPodLabels(map[string]string{"team": "rpc", "sei.io/node": "impostor", LabelAppName: "not-seid"}).
				WithP2P(seiv1alpha1.P2PNodePort).
				WithSidecar(seiv1alpha1.SidecarSpec{
					Image: "registry.example.com/seictl:v9", Port: 8777,
					Resources: &corev1.ResourceRequirements{Limits: requirements("1", "512Mi").Limits},
				}).
				WithLabels(map[string]string{seiv1alpha1.LabelDeployment: "rpc-fleet"}).
				Build(),
			cfg: prod,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			objs := render(g, tc.node, tc.cfg)
			checkObjects(t, tc.node, objs)

			var out bytes.Buffer
			sts := objs.sts.DeepCopy()
			elideScripts(&sts.Spec.Template.Spec)
			for i, obj := range []any{sts, objs.headless, objs.p2p, objs.pvc} {
				if i > 0 {
					out.WriteString("---\n")
				}
				out.Write(goldenYAML(g, obj))
			}
			path := filepath.Join("testdata", tc.name+".golden.yaml")
			if *update {
				g.Expect(os.WriteFile(path, out.Bytes(), 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred(), "run go test ./agent/resources/ -update to create %s", path)
			g.Expect(out.String()).To(Equal(string(want)), "rendered objects differ from %s; rerun with -update if intended", path)
		})
	}
}

// render builds all of node's objects and fails the test on any error.
func render(g Gomega, node *seiv1alpha1.SeiNode, cfg *config.Config) renderedObjects {
	sts, err := BuildStatefulSet(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	headless, err := BuildHeadlessService(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	p2p, err := BuildP2PService(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	pvc, err := BuildDataPVC(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	return renderedObjects{sts: sts, headless: headless, p2p: p2p, pvc: pvc}
}

// goldenYAML is obj as YAML without its status: a rendered object has no status to speak of, and the
// zero counters typed status structs always serialize would only add noise.
func goldenYAML(g Gomega, obj any) []byte {
	raw, err := json.Marshal(obj)
	g.Expect(err).NotTo(HaveOccurred())
	var m map[string]any
	g.Expect(json.Unmarshal(raw, &m)).To(Succeed())
	delete(m, "status")
	out, err := yaml.Marshal(m)
	g.Expect(err).NotTo(HaveOccurred())
	return out
}

// elideScripts replaces the container scripts with their names: they are constants, the same in every
// golden file, and scripts_test.go runs them.
func elideScripts(spec *corev1.PodSpec) {
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			for j, arg := range list[i].Command {
				switch arg {
				case initScript:
					list[i].Command[j] = "<initScript in scripts.go>"
				case startScript:
					list[i].Command[j] = "<startScript in scripts.go>"
				}
			}
		}
	}
}
