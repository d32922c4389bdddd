package deploy_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// kustomization says where a kustomization under deploy/ is applied.
type kustomization struct {
	// clusters it is applied on: hubCluster, memberCluster or both.
	clusters []string
	// standalone kustomizations are what users apply on their own: they must create every namespace
	// they put objects in, and carry the standard labels. The others are parts the bases include.
	standalone bool
}

// kustomizations lists every kustomization under deploy/ (by folder, relative to deploy/). The walk of
// deploy/ fails on one missing here, so a new base cannot go untested.
var kustomizations = map[string]kustomization{
	"crds":          {clusters: []string{hubCluster}, standalone: true},
	"crds/ocm":      {clusters: []string{hubCluster}, standalone: true},
	"member-crds":   {clusters: []string{memberCluster}, standalone: true},
	"hub":           {clusters: []string{hubCluster}, standalone: true},
	"agent":         {clusters: []string{memberCluster}, standalone: true},
	"member-access": {clusters: []string{memberCluster}, standalone: true},
	// Parts: the system namespace every base includes, and the generated member RBAC member-access
	// includes.
	"namespace":       {clusters: []string{hubCluster, memberCluster}},
	"hub/member-rbac": {clusters: []string{memberCluster}},
}

// Standard labels (app.kubernetes.io) on every object users apply.
const (
	labelName      = "app.kubernetes.io/name"
	labelPartOf    = "app.kubernetes.io/part-of"
	labelComponent = "app.kubernetes.io/component"
)

// discoverKustomizations walks deploy/ for folders holding a kustomization.yaml.
func discoverKustomizations() ([]string, error) {
	var out []string
	err := filepath.WalkDir(deployDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "kustomization.yaml" {
			return nil
		}
		rel, err := filepath.Rel(deployDir(), filepath.Dir(path))
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", deployDir(), err)
	}
	sort.Strings(out)
	return out, nil
}

// renderBase renders deploy/<dir>, failing the test when it does not render.
func renderBase(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := render(filepath.Join(deployDir(), dir))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return objs
}

func TestEveryKustomizationRendersAndPassesServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	found, err := discoverKustomizations()
	g.Expect(err).NotTo(HaveOccurred())
	for _, dir := range found {
		g.Expect(kustomizations).To(HaveKey(dir),
			"deploy/%s has a kustomization this test does not know: add it to kustomizations with the clusters it is applied on", dir)
	}
	for dir := range kustomizations {
		g.Expect(found).To(ContainElement(dir), "deploy/%s is listed in kustomizations but has no kustomization.yaml", dir)
	}

	for _, dir := range found {
		k := kustomizations[dir]
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			objs := renderBase(t, dir)
			g.Expect(objs).NotTo(BeEmpty())
			if k.standalone {
				// `kubectl apply -k` on a fresh cluster: every namespace used must come with the base.
				var created []string
				for _, o := range objs {
					if o.GetKind() == "Namespace" {
						created = append(created, o.GetName())
					}
				}
				for _, ns := range namespacesUsed(objs) {
					g.Expect(created).To(ContainElement(ns), "deploy/%s puts objects in namespace %s but does not create it", dir, ns)
				}
			}
			for _, name := range k.clusters {
				cp := cluster(t, name)
				if !k.standalone {
					g.Expect(ensureNamespaces(t.Context(), cp.Client, namespacesUsed(objs)...)).To(Succeed())
				}
				g.Expect(dryRunAll(t.Context(), cp.Client, objs)).To(BeEmpty(), "server-side dry-run of deploy/%s on the %s cluster", dir, name)
			}
		})
	}
}

func TestObjectsCarryTheStandardLabels(t *testing.T) {
	for dir, k := range kustomizations {
		if !k.standalone {
			continue
		}
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			for _, o := range renderBase(t, dir) {
				l := o.GetLabels()
				g.Expect(l).To(HaveKeyWithValue(labelPartOf, "sei-fleet"), describe(o))
				g.Expect(l).To(HaveKeyWithValue(labelName, Not(BeEmpty())), describe(o))
				g.Expect(l).To(HaveKeyWithValue(labelComponent, Not(BeEmpty())), describe(o))
				if o.GetKind() == "Deployment" {
					podLabels, _, err := unstructured.NestedStringMap(o.Object, "spec", "template", "metadata", "labels")
					g.Expect(err).NotTo(HaveOccurred())
					for _, key := range []string{labelName, labelPartOf, labelComponent} {
						g.Expect(podLabels).To(HaveKeyWithValue(key, l[key]), "pod template of %s", describe(o))
					}
				}
			}
		})
	}
}

// Bindings must name a role and ServiceAccounts the same render creates: the apiserver accepts a
// binding to a role that does not exist, and it silently grants nothing.
func TestBindingsReferToRolesAndServiceAccountsOfTheSameBase(t *testing.T) {
	for dir, k := range kustomizations {
		if !k.standalone {
			continue
		}
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			objs := renderBase(t, dir)
			has := func(kind, namespace, name string) bool {
				return slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool {
					return o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name
				})
			}
			crbs, err := ofKind[rbacv1.ClusterRoleBinding](objs, "ClusterRoleBinding")
			g.Expect(err).NotTo(HaveOccurred())
			rbs, err := ofKind[rbacv1.RoleBinding](objs, "RoleBinding")
			g.Expect(err).NotTo(HaveOccurred())
			type binding struct {
				what      string
				namespace string
				ref       rbacv1.RoleRef
				subjects  []rbacv1.Subject
			}
			var all []binding
			for _, b := range crbs {
				all = append(all, binding{"ClusterRoleBinding " + b.Name, "", b.RoleRef, b.Subjects})
			}
			for _, b := range rbs {
				all = append(all, binding{"RoleBinding " + b.Namespace + "/" + b.Name, b.Namespace, b.RoleRef, b.Subjects})
			}
			bound := map[string]bool{}
			for _, b := range all {
				g.Expect(b.ref.APIGroup).To(Equal(rbacv1.GroupName), b.what)
				switch b.ref.Kind {
				case "ClusterRole":
					g.Expect(has("ClusterRole", "", b.ref.Name)).To(BeTrue(), "%s refers to ClusterRole %s, which deploy/%s does not create", b.what, b.ref.Name, dir)
				case "Role":
					g.Expect(has("Role", b.namespace, b.ref.Name)).To(BeTrue(), "%s refers to Role %s/%s, which deploy/%s does not create", b.what, b.namespace, b.ref.Name, dir)
				default:
					t.Errorf("%s refers to a %q", b.what, b.ref.Kind)
				}
				g.Expect(b.subjects).NotTo(BeEmpty(), b.what)
				for _, s := range b.subjects {
					g.Expect(s.Kind).To(Equal(rbacv1.ServiceAccountKind), "%s binds %s %s: the bases bind ServiceAccounts only", b.what, s.Kind, s.Name)
					g.Expect(has("ServiceAccount", s.Namespace, s.Name)).To(BeTrue(), "%s binds ServiceAccount %s/%s, which deploy/%s does not create", b.what, s.Namespace, s.Name, dir)
					bound[s.Namespace+"/"+s.Name] = true
				}
			}
			referred := map[string]bool{}
			for _, b := range all {
				referred[b.ref.Kind+" "+b.namespace+"/"+b.ref.Name] = true
			}
			for _, o := range objs {
				switch o.GetKind() {
				case "ServiceAccount":
					g.Expect(bound).To(HaveKey(o.GetNamespace()+"/"+o.GetName()), "%s is bound to no role", describe(o))
				case "Role", "ClusterRole":
					// A role no binding refers to grants nothing: the permission it was generated for is missing.
					g.Expect(referred).To(HaveKey(o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()), "%s is bound to nobody", describe(o))
				}
			}
		})
	}
}

// Services and PodDisruptionBudgets must select the pods of a Deployment of the same base: a selector
// that matches nothing is valid to the apiserver and useless.
func TestServicesAndBudgetsSelectTheirPods(t *testing.T) {
	for _, dir := range []string{"hub", "agent"} {
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			objs := renderBase(t, dir)
			pods, err := podTemplates(objs)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pods).NotTo(BeEmpty())
			selects := func(sel labels.Selector) bool {
				for _, p := range pods {
					if sel.Matches(labels.Set(p.Labels)) {
						return true
					}
				}
				return false
			}
			services, err := ofKind[corev1.Service](objs, "Service")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(services).NotTo(BeEmpty())
			for _, s := range services {
				g.Expect(s.Spec.Selector).NotTo(BeEmpty(), "Service %s", s.Name)
				g.Expect(selects(labels.SelectorFromSet(s.Spec.Selector))).To(BeTrue(), "Service %s selects no pod of deploy/%s", s.Name, dir)
			}
			budgets, err := ofKind[policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget")
			g.Expect(err).NotTo(HaveOccurred())
			for _, b := range budgets {
				sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(selects(sel)).To(BeTrue(), "PodDisruptionBudget %s selects no pod of deploy/%s", b.Name, dir)
			}
		})
	}
}

func TestHubBaseBringsTheSeiCRDsAndAnHAHub(t *testing.T) {
	g := NewWithT(t)
	objs := renderBase(t, "hub")
	g.Expect(crdNames(objs)).To(ConsistOf("seinodedeployments.sei.io", "seinodes.sei.io", "seiplacementpolicies.sei.io"),
		"OCM's CRDs stay separate (deploy/crds/ocm): a hub with OCM installed has its own")
	deps, err := deployments(objs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(deps).To(HaveLen(1))
	g.Expect(deps[0].Spec.Replicas).To(HaveValue(BeNumerically("==", 2)))
	g.Expect(deps[0].Spec.Template.Spec.Containers[0].Args).To(ContainElement("--leader-elect"))
	budgets, err := ofKind[policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(budgets).To(HaveLen(1))
	g.Expect(budgets[0].Spec.MinAvailable.IntValue()).To(Equal(1))
}

// A member installs the SeiNode CRD on its own (deploy/member-crds). No other member base may carry a
// CRD: `kubectl delete -k deploy/agent` (an agent uninstall or reinstall) would delete it, and with it
// every SeiNode on the member and, through the garbage collector, every node's StatefulSet.
func TestMemberCRDIsInstalledApartFromTheAgent(t *testing.T) {
	g := NewWithT(t)
	g.Expect(crdNames(renderBase(t, "member-crds"))).To(ConsistOf("seinodes.sei.io"))
	for dir, k := range kustomizations {
		if dir == "member-crds" || !slices.Contains(k.clusters, memberCluster) {
			continue
		}
		g.Expect(crdNames(renderBase(t, dir))).To(BeEmpty(), "deploy/%s is applied on members and must not carry a CRD", dir)
	}
}

// The member-access base must never let the hub read Secrets on a member: the validator keys live there.
func TestMemberAccessGrantsNoSecrets(t *testing.T) {
	g := NewWithT(t)
	objs := renderBase(t, "member-access")
	roles, err := ofKind[rbacv1.ClusterRole](objs, "ClusterRole")
	g.Expect(err).NotTo(HaveOccurred())
	nsRoles, err := ofKind[rbacv1.Role](objs, "Role")
	g.Expect(err).NotTo(HaveOccurred())
	var rules []rbacv1.PolicyRule
	for _, r := range roles {
		rules = append(rules, r.Rules...)
	}
	for _, r := range nsRoles {
		rules = append(rules, r.Rules...)
	}
	g.Expect(rules).NotTo(BeEmpty())
	for _, r := range rules {
		g.Expect(r.Resources).NotTo(ContainElement(BeElementOf("secrets", "*")), "%+v", r)
		g.Expect(r.Verbs).NotTo(ContainElement("*"), "%+v", r)
	}
	secrets, err := ofKind[corev1.Secret](objs, "Secret")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(secrets).To(HaveLen(1))
	g.Expect(secrets[0].Type).To(Equal(corev1.SecretTypeServiceAccountToken))
	g.Expect(secrets[0].Annotations).To(HaveKeyWithValue(corev1.ServiceAccountNameKey, "sei-fleet-hub"))
}

func crdNames(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			out = append(out, o.GetName())
		}
	}
	return out
}
