//go:build dataplane

package cluster_test

import (
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/dataplane/cluster"
	"github.com/sei-protocol/sei-fleet/dataplane/dataplanetest"
	"github.com/sei-protocol/sei-fleet/dataplane/fabric"
	"github.com/sei-protocol/sei-fleet/dataplane/images"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

func TestScheduledPodRuns(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	assets := dataplanetest.Require(t)
	tmp := t.TempDir()
	pause, err := images.BuildPause(ctx, filepath.Join(tmp, "pause.tar"))
	g.Expect(err).NotTo(HaveOccurred())
	tools, err := images.HostTools("/bin", images.ShellTools...)
	g.Expect(err).NotTo(HaveOccurred())
	shell, err := images.Build(images.Spec{Name: "docker.io/sei-fleet/shell:test", Files: tools, User: "65532"}, filepath.Join(tmp, "shell.tar"))
	g.Expect(err).NotTo(HaveOccurred())

	f, err := testfleet.Start(testfleet.Options{WithoutHub: true, Members: []string{"m1"}})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = f.Stop() })
	fab, err := fabric.New()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(fab.Close)
	c, err := cluster.Start(ctx, cluster.Options{Name: "m1", Dir: filepath.Join(tmp, "m1"), BinDir: assets, Fabric: fab,
		Kubeconfig: f.Members[0].Kubeconfig, Images: []string{pause.Path, shell.Path}})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(c.Stop)

	cl := f.Members[0].Client
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{
				Name: "c", Image: shell.Name, ImagePullPolicy: corev1.PullNever,
				Command: []string{"/bin/bash", "-c", "echo hello | sha256sum; exec sleep 3600"},
			}},
		},
	}
	g.Eventually(func() error { return cl.Create(ctx, pod) }).WithTimeout(60*time.Second).Should(Succeed(), "the default ServiceAccount appears once kube-controller-manager runs")
	g.Eventually(func(g Gomega) {
		g.Expect(cl.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
		g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning), "%+v", pod.Status)
	}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	g.Expect(pod.Spec.NodeName).To(Equal("m1-node"), "kube-scheduler placed it")
	g.Expect(pod.Status.PodIP).To(HavePrefix("198.19."), "CNI gave it an address of its own")
}
