package provisioner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/sei-protocol/sei-fleet/dataplane/provisioner"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The apiserver runs alone here, so the test plays kube-scheduler (it picks the node) and
// kube-controller-manager (it marks the PV Released and drops the protection finalizers).
// dataplane/cluster's test runs the real ones.
func TestProvisionsOnSelectedNodeAndReclaims(t *testing.T) {
	g := NewWithT(t)
	ctx, cl, _, volumes := start(t, provisioner.Options{})

	var class storagev1.StorageClass
	g.Expect(cl.Get(ctx, client.ObjectKey{Name: provisioner.DefaultStorageClass}, &class)).To(Succeed())
	g.Expect(class.Provisioner).To(Equal(provisioner.DefaultName))
	g.Expect(class.Annotations).To(HaveKeyWithValue("storageclass.kubernetes.io/is-default-class", "true"))
	g.Expect(*class.VolumeBindingMode).To(Equal(storagev1.VolumeBindingWaitForFirstConsumer))
	g.Expect(*class.ReclaimPolicy).To(Equal(corev1.PersistentVolumeReclaimDelete))

	// The hostname label, not the node's name, goes into the PV's node affinity.
	g.Expect(cl.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: "n1", Labels: map[string]string{corev1.LabelHostname: "n1-host"},
	}})).To(Succeed())
	pvc := claim(nil)
	g.Expect(cl.Create(ctx, pvc)).To(Succeed())
	g.Expect(pvc.Spec.StorageClassName).To(HaveValue(Equal(provisioner.DefaultStorageClass)), "the default class")
	pvName := "pvc-" + string(pvc.UID)
	var pv corev1.PersistentVolume
	g.Consistently(func() error { return cl.Get(ctx, client.ObjectKey{Name: pvName}, &pv) }).
		WithTimeout(2*time.Second).Should(Satisfy(apierrors.IsNotFound), "no volume before a node is chosen")

	patch := client.MergeFrom(pvc.DeepCopy())
	pvc.Annotations = map[string]string{"volume.kubernetes.io/selected-node": "n1"}
	g.Expect(cl.Patch(ctx, pvc, patch)).To(Succeed())
	g.Eventually(func() error { return cl.Get(ctx, client.ObjectKey{Name: pvName}, &pv) }).
		WithTimeout(10 * time.Second).Should(Succeed())
	dir := filepath.Join(volumes, pvName+"_default_data")
	g.Expect(pv.Spec.Local).NotTo(BeNil())
	g.Expect(pv.Spec.Local.Path).To(Equal(dir))
	g.Expect(pv.Spec.ClaimRef).NotTo(BeNil())
	g.Expect(pv.Spec.ClaimRef.UID).To(Equal(pvc.UID))
	g.Expect(pv.Spec.StorageClassName).To(Equal(provisioner.DefaultStorageClass))
	g.Expect(pv.Spec.PersistentVolumeReclaimPolicy).To(Equal(corev1.PersistentVolumeReclaimDelete))
	g.Expect(pv.Spec.Capacity.Storage().String()).To(Equal("1Gi"))
	g.Expect(pv.Spec.NodeAffinity.Required.NodeSelectorTerms).To(Equal([]corev1.NodeSelectorTerm{{
		MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{"n1-host"},
		}},
	}}))
	fi, err := os.Stat(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fi.IsDir()).To(BeTrue())
	g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o777)), "writable by non-root pods")
	g.Expect(os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600)).To(Succeed())

	g.Expect(cl.Delete(ctx, pvc)).To(Succeed())
	dropFinalizers(ctx, g, cl, pvc)
	pv.Status.Phase = corev1.VolumeReleased
	g.Expect(cl.Status().Update(ctx, &pv)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(cl.Get(ctx, client.ObjectKeyFromObject(&pv), &pv)).To(Succeed())
		g.Expect(pv.DeletionTimestamp).NotTo(BeNil(), "the provisioner deletes the PV")
	}).WithTimeout(10 * time.Second).Should(Succeed())
	g.Expect(dir).NotTo(BeADirectory())
	g.Expect(volumes).To(BeADirectory(), "only the volume's own directory goes")
	dropFinalizers(ctx, g, cl, &pv)
}

func TestLeavesOtherNodesAndRetainedVolumes(t *testing.T) {
	g := NewWithT(t)
	ctx, cl, tmp, volumes := start(t, provisioner.Options{Name: "example.com/local", StorageClass: "local"})

	// A released volume of this provisioner whose path is not one it made, and a retained one.
	for name, spec := range map[string]corev1.PersistentVolumeSpec{
		"stray": {PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: tmp}}},
		"kept": {PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: filepath.Join(volumes, "kept_default_x")}}},
	} {
		spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}
		spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
		spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}}},
		}}}}
		pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
			"pv.kubernetes.io/provisioned-by": "example.com/local", "sei-fleet.local/node": "n1",
		}}, Spec: spec}
		g.Expect(cl.Create(ctx, pv)).To(Succeed())
		pv.Status.Phase = corev1.VolumeReleased
		g.Expect(cl.Status().Update(ctx, pv)).To(Succeed())
	}
	g.Expect(os.MkdirAll(filepath.Join(volumes, "kept_default_x"), 0o755)).To(Succeed())
	// A claim scheduled to a node the provisioner does not serve.
	pvc := claim(ptr.To("local"))
	pvc.Annotations = map[string]string{"volume.kubernetes.io/selected-node": "n2"}
	g.Expect(cl.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}})).To(Succeed())
	g.Expect(cl.Create(ctx, pvc)).To(Succeed())

	g.Eventually(func(g Gomega) {
		var evs corev1.EventList
		g.Expect(cl.List(ctx, &evs)).To(Succeed())
		var reasons []string
		for _, e := range evs.Items {
			reasons = append(reasons, e.InvolvedObject.Name+": "+e.Reason)
		}
		g.Expect(reasons).To(ContainElements("stray: VolumeFailedDelete", "data: ProvisioningFailed"))
	}).WithTimeout(10 * time.Second).Should(Succeed())
	var pvs corev1.PersistentVolumeList
	g.Expect(cl.List(ctx, &pvs)).To(Succeed())
	g.Expect(pvs.Items).To(HaveLen(2), "no PV for the claim on n2, none deleted")
	for _, pv := range pvs.Items {
		g.Expect(pv.DeletionTimestamp).To(BeNil(), pv.Name)
	}
	g.Expect(tmp).To(BeADirectory())
	g.Expect(filepath.Join(volumes, "kept_default_x")).To(BeADirectory())
}

// start starts a bare apiserver (no CRDs) and a provisioner on it with o, serving node n1 from
// <tmp>/volumes; it returns the test's context, an admin client, tmp and that volume directory.
// Without the test binaries it skips the test, outside CI.
func start(t *testing.T, o provisioner.Options) (_ context.Context, _ client.Client, tmp, volumes string) {
	t.Helper()
	cp := &testfleet.ControlPlane{Name: "m1"}
	stop, err := testfleet.StartBare(cp)
	if errors.Is(err, testfleet.ErrAssetsMissing) && !testfleet.InCI() {
		t.Skipf("no control plane: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	tmp = t.TempDir()
	if o.Kubeconfig, err = cp.WriteKubeconfig(tmp); err != nil {
		t.Fatal(err)
	}
	volumes = filepath.Join(tmp, "volumes")
	o.Dirs = func(node string) (string, bool) { return volumes, node == "n1" }
	ctx := testContext(t)
	p, err := provisioner.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return ctx, cp.Client, tmp, volumes
}

// claim is a 1Gi ReadWriteOnce claim "data" of class (nil: the default class).
func claim(class *string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: class,
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse("1Gi"),
			}},
		},
	}
}

// testContext carries a logger for the provisioner: stderr with TEST_LOG=1, else none.
func testContext(t *testing.T) context.Context {
	logger := logr.Discard()
	if os.Getenv("TEST_LOG") != "" {
		logger = zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true))
	}
	return log.IntoContext(t.Context(), logger)
}

// dropFinalizers does kube-controller-manager's part in deleting obj: its protection finalizer goes.
func dropFinalizers(ctx context.Context, g Gomega, cl client.Client, obj client.Object) {
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	obj.SetFinalizers(nil)
	g.Expect(client.IgnoreNotFound(cl.Patch(ctx, obj, patch))).To(Succeed())
	g.Eventually(func() error { return cl.Get(ctx, client.ObjectKeyFromObject(obj), obj) }).
		WithTimeout(10 * time.Second).Should(Satisfy(apierrors.IsNotFound))
}
