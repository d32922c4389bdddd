//go:build dataplane

package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/dataplane/cluster"
	"github.com/sei-protocol/sei-fleet/dataplane/dataplanetest"
	"github.com/sei-protocol/sei-fleet/dataplane/fabric"
	"github.com/sei-protocol/sei-fleet/dataplane/images"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// TestCluster runs one member's data plane and checks what its pods get from it.
func TestCluster(t *testing.T) {
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
	g.Eventually(func() error {
		return cl.Get(ctx, client.ObjectKey{Namespace: "default", Name: "default"}, &corev1.ServiceAccount{})
	}).WithTimeout(60*time.Second).Should(Succeed(), "the default ServiceAccount appears once kube-controller-manager runs")

	t.Run("kube-scheduler places a pod and CNI gives it an address", func(t *testing.T) {
		g := NewWithT(t)
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
		g.Expect(cl.Create(ctx, pod)).To(Succeed())
		waitRunning(ctx, g, cl, pod)
		g.Expect(pod.Spec.NodeName).To(Equal("m1-node"), "kube-scheduler placed it")
		g.Expect(pod.Status.PodIP).To(HavePrefix("198.19."), "CNI gave it an address of its own")
	})

	t.Run("a claim of the default class gets a directory on the node that a non-root pod writes", func(t *testing.T) {
		g := NewWithT(t)
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceStorage: resource.MustParse("64Mi"),
				}},
			},
		}
		g.Expect(cl.Create(ctx, pvc)).To(Succeed())
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "writer", Namespace: "default"},
			Spec: corev1.PodSpec{
				AutomountServiceAccountToken: ptr.To(false),
				SecurityContext: &corev1.PodSecurityContext{
					RunAsUser: ptr.To[int64](65532), RunAsGroup: ptr.To[int64](65532), RunAsNonRoot: ptr.To(true),
					FSGroup: ptr.To[int64](2000),
				},
				Containers: []corev1.Container{{
					Name: "c", Image: shell.Name, ImagePullPolicy: corev1.PullNever,
					Command:      []string{"/bin/bash", "-c", "echo hello > /data/hello; trap 'exit 0' TERM; while :; do sleep 1; done"},
					VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
				}},
				Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvc.Name},
				}}},
			},
		}
		g.Expect(cl.Create(ctx, pod)).To(Succeed())
		waitRunning(ctx, g, cl, pod)
		g.Expect(cl.Get(ctx, client.ObjectKeyFromObject(pvc), pvc)).To(Succeed())
		g.Expect(pvc.Status.Phase).To(Equal(corev1.ClaimBound))
		var pv corev1.PersistentVolume
		g.Expect(cl.Get(ctx, client.ObjectKey{Name: pvc.Spec.VolumeName}, &pv)).To(Succeed())
		g.Expect(pv.Spec.Local).NotTo(BeNil())
		dir := pv.Spec.Local.Path
		g.Expect(dir).To(HavePrefix(filepath.Join(tmp, "m1", "node", "volumes") + "/"))
		file := filepath.Join(dir, "hello")
		g.Eventually(func() (string, error) {
			b, err := os.ReadFile(file)
			return string(b), err
		}).WithTimeout(10 * time.Second).Should(Equal("hello\n"))
		fi, err := os.Stat(file)
		g.Expect(err).NotTo(HaveOccurred())
		st := fi.Sys().(*syscall.Stat_t)
		g.Expect([]uint32{st.Uid, st.Gid}).To(Equal([]uint32{65532, 2000}), "written as the pod's user, in its fsGroup")

		g.Expect(cl.Delete(ctx, pod)).To(Succeed())
		g.Eventually(func() error { return cl.Get(ctx, client.ObjectKeyFromObject(pod), pod) }).
			WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Satisfy(apierrors.IsNotFound))
		g.Expect(cl.Delete(ctx, pvc)).To(Succeed())
		g.Eventually(func() error { return cl.Get(ctx, client.ObjectKeyFromObject(&pv), &pv) }).
			WithTimeout(60*time.Second).WithPolling(time.Second).Should(Satisfy(apierrors.IsNotFound), "the PV is reclaimed")
		g.Expect(dir).NotTo(BeAnExistingFile())
	})
}

func waitRunning(ctx context.Context, g Gomega, cl client.Client, pod *corev1.Pod) {
	g.Eventually(func(g Gomega) {
		g.Expect(cl.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
		g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning), "%+v", pod.Status)
	}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
}
