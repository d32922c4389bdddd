package deploy_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

const (
	hubServiceAccount = "sei-fleet-hub"
	hubTokenSecret    = "sei-fleet-hub-token"
)

// createAll creates objs for real, in apply order, leaving existing ones as they are.
func createAll(t *testing.T, c client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	g := NewWithT(t)
	ranks := map[*unstructured.Unstructured]int{}
	for _, o := range objs {
		r, err := applyRank(c, o)
		g.Expect(err).NotTo(HaveOccurred())
		ranks[o] = r
	}
	ordered := append([]*unstructured.Unstructured(nil), objs...)
	sort.SliceStable(ordered, func(i, j int) bool { return ranks[ordered[i]] < ranks[ordered[j]] })
	for _, o := range ordered {
		if err := c.Create(t.Context(), o.DeepCopy()); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %s: %v", describe(o), err)
		}
	}
}

// requireKubectl returns kubectl's path; without it the script tests skip locally and fail in CI.
func requireKubectl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		if testfleet.InCI() {
			t.Fatalf("kubectl is needed to test hack/member-kubeconfig.sh: %v", err)
		}
		t.Skipf("kubectl not found: %v", err)
	}
}

// runScript runs hack/member-kubeconfig.sh with KUBECONFIG=kubeconfig and returns stdout and stderr.
func runScript(t *testing.T, kubeconfig string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", append([]string{filepath.Join(repoRoot(), "hack", "member-kubeconfig.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "TOKEN_TIMEOUT=4")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// adminKubeconfig writes cp's admin kubeconfig to a file and returns its path and current context.
func adminKubeconfig(t *testing.T, cp *testfleet.ControlPlane) (string, string) {
	t.Helper()
	g := NewWithT(t)
	path, err := cp.WriteKubeconfig(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	kc, err := clientcmd.Load(cp.Kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(kc.CurrentContext).NotTo(BeEmpty())
	return path, kc.CurrentContext
}

// A member admin applies deploy/member-access and runs hack/member-kubeconfig.sh; the Secret it prints
// gives whoever holds it exactly the hub's member rights: what the hub needs, and no Secret or Pod.
func TestMemberKubeconfigScriptGivesTheHubItsLeastPrivilegeIdentity(t *testing.T) {
	requireKubectl(t)
	g := NewWithT(t)
	ctx := t.Context()
	member := cluster(t, memberCluster)
	createAll(t, member.Client, renderBase(t, "member-access"))

	// envtest runs no token controller: do its work, a token of the ServiceAccount and the cluster's CA.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: hubServiceAccount}}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	g.Expect(member.Client.SubResource("token").Create(ctx, sa, tr)).To(Succeed())
	secret := &corev1.Secret{}
	g.Expect(member.Client.Get(ctx, client.ObjectKey{Namespace: sa.Namespace, Name: hubTokenSecret}, secret)).To(Succeed())
	secret.Data = map[string][]byte{corev1.ServiceAccountTokenKey: []byte(tr.Status.Token), corev1.ServiceAccountRootCAKey: member.Config.CAData}
	g.Expect(member.Client.Update(ctx, secret)).To(Succeed())

	kubeconfig, kubeContext := adminKubeconfig(t, member)
	for name, args := range map[string][]string{
		// Address and CA from the admin's kubeconfig.
		"address from the context": {kubeContext, "member-a"},
		// An explicit address (kind's in-network one): the CA comes from the token Secret.
		"explicit address": {kubeContext, "member-a", member.Config.Host},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			stdout, stderr, err := runScript(t, kubeconfig, args...)
			g.Expect(err).NotTo(HaveOccurred(), stderr)

			printed := &corev1.Secret{}
			g.Expect(yaml.UnmarshalStrict([]byte(stdout), printed)).To(Succeed())
			g.Expect(printed.Namespace).To(Equal(seiv1alpha1.DefaultSystemNamespace))
			g.Expect(printed.Name).To(Equal("member-a" + seiv1alpha1.KubeconfigSecretSuffix))
			g.Expect(printed.Data).To(HaveKey(seiv1alpha1.KubeconfigSecretKey))

			// The hub parses it as the hub does (clientcmd) and is the ServiceAccount.
			cfg, err := clientcmd.RESTConfigFromKubeConfig(printed.Data[seiv1alpha1.KubeconfigSecretKey])
			g.Expect(err).NotTo(HaveOccurred())
			hub, err := client.New(cfg, client.Options{Scheme: fleet.Scheme})
			g.Expect(err).NotTo(HaveOccurred())
			review := &authenticationv1.SelfSubjectReview{}
			g.Expect(hub.Create(ctx, review)).To(Succeed())
			g.Expect(review.Status.UserInfo.Username).To(Equal("system:serviceaccount:sei-fleet-system:sei-fleet-hub"))

			// What the hub does on a member.
			g.Expect(hub.List(ctx, &seiv1alpha1.SeiNodeList{})).To(Succeed())
			heartbeat := &coordinationv1.Lease{}
			err = hub.Get(ctx, client.ObjectKey{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: seiv1alpha1.AgentHeartbeatLease}, heartbeat)
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "reading the heartbeat Lease: %v", err)
			g.Expect(hub.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "sei"}}, client.DryRunAll)).To(Succeed())
			g.Expect(hub.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: "genesis"}}, client.DryRunAll)).To(Succeed())

			// What it must not: key Secrets, pods, anything else.
			for what, err := range map[string]error{
				"get the token Secret": hub.Get(ctx, client.ObjectKeyFromObject(secret), &corev1.Secret{}),
				"list Secrets":         hub.List(ctx, &corev1.SecretList{}),
				"list Pods":            hub.List(ctx, &corev1.PodList{}),
				"list Leases":          hub.List(ctx, &coordinationv1.LeaseList{}, client.InNamespace(seiv1alpha1.DefaultSystemNamespace)),
			} {
				g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s: %v", what, err)
			}

			// The printed Secret is what the hub cluster accepts.
			u := &unstructured.Unstructured{}
			u.Object, err = runtime.DefaultUnstructuredConverter.ToUnstructured(printed)
			g.Expect(err).NotTo(HaveOccurred())
			u.SetAPIVersion("v1")
			u.SetKind("Secret")
			g.Expect(ensureNamespaces(ctx, fleet.Hub.Client, seiv1alpha1.DefaultSystemNamespace)).To(Succeed())
			g.Expect(dryRunAll(ctx, fleet.Hub.Client, []*unstructured.Unstructured{u})).To(BeEmpty())
		})
	}
}

func TestMemberKubeconfigScriptRefusesWhatItCannotUse(t *testing.T) {
	requireKubectl(t)
	kubeconfig, kubeContext := adminKubeconfig(t, fleet.Hub)
	for name, tc := range map[string]struct {
		args []string
		says string
	}{
		"no member-access applied":  {[]string{kubeContext, "member-b"}, "apply deploy/member-access there first"},
		"a name no Secret can have": {[]string{kubeContext, "Member_B"}, "is not a DNS-1123 subdomain"},
		"no cluster name":           {[]string{kubeContext}, "usage:"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			stdout, stderr, err := runScript(t, kubeconfig, tc.args...)
			exitErr := &exec.ExitError{}
			g.Expect(errors.As(err, &exitErr)).To(BeTrue(), "%v", err)
			g.Expect(stdout).To(BeEmpty())
			g.Expect(stderr).To(ContainSubstring(tc.says))
		})
	}
}
