// Package provisioner is a dynamic PersistentVolume provisioner for the local data plane, in the
// manner of rancher's local-path-provisioner: once kube-scheduler has picked a node for a claim of
// its StorageClass (WaitForFirstConsumer), the claim gets a directory on that node and a `local` PV
// pinned to it; when a released PV's reclaim policy is Delete, the directory and the PV go.
//
// It runs in the calling process, not as a pod: a node's mount namespace shares the host's
// filesystem, so the provisioner makes and removes the directories itself instead of running
// helper pods on the node.
package provisioner

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/sei-protocol/sei-fleet/internal/kube"
)

const (
	// DefaultName is the provisioner's name in its StorageClass.
	DefaultName = "sei-fleet.local/local-path"
	// DefaultStorageClass is the StorageClass it makes the cluster's default.
	DefaultStorageClass = "local-path"

	fieldOwner      = "sei-fleet-provisioner"
	annDefaultClass = "storageclass.kubernetes.io/is-default-class"
)

// Options describe a provisioner.
type Options struct {
	// Kubeconfig is the path of an admin kubeconfig of the cluster's apiserver.
	Kubeconfig string
	// Name is the provisioner's name (default DefaultName).
	Name string
	// StorageClass is the default StorageClass it creates (default DefaultStorageClass): reclaim
	// policy Delete, binding mode WaitForFirstConsumer.
	StorageClass string
	// Dirs returns the absolute host directory under which a node's volumes live, or false for a node
	// the provisioner does not serve. Its paths go into PVs as they are, so they must be the paths
	// the node's kubelet sees.
	Dirs func(nodeName string) (string, bool)
}

// Provisioner is a running provisioner.
type Provisioner struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start creates (or updates) the StorageClass and starts the provisioner's controllers; it returns
// once they run. ctx bounds the start and gives the logger; the provisioner runs until Stop.
func Start(ctx context.Context, o Options) (*Provisioner, error) {
	if o.Kubeconfig == "" || o.Dirs == nil {
		return nil, errors.New("provisioner: Kubeconfig and Dirs are required")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.StorageClass == "" {
		o.StorageClass = DefaultStorageClass
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("provisioner: load kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme,
		Logger: log.FromContext(ctx).WithName("provisioner"),
		// One provisioner per member cluster shares the process: nothing served, names reused.
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("provisioner: build manager: %w", err)
	}
	class := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: o.StorageClass, Annotations: map[string]string{annDefaultClass: "true"}},
		Provisioner:       o.Name,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
	if err := kube.Apply(ctx, mgr.GetClient(), scheme, class, fieldOwner); err != nil {
		return nil, fmt.Errorf("provisioner: %w", err)
	}
	r := &reconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder(fieldOwner), name: o.Name, dirs: o.Dirs}
	if err := r.setup(mgr); err != nil {
		return nil, fmt.Errorf("provisioner: set up controllers: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &Provisioner{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = mgr.Start(runCtx)
	}()
	select {
	case <-mgr.Elected(): // without leader election: the controllers have started
		return p, nil
	case <-p.done:
		cancel()
		return nil, fmt.Errorf("provisioner: %w", p.err)
	case <-ctx.Done():
		p.Stop()
		return nil, fmt.Errorf("provisioner: start: %w", ctx.Err())
	}
}

// Stop stops the controllers and waits for any volume operation under way to end. Volumes and
// their directories stay.
func (p *Provisioner) Stop() {
	p.cancel()
	<-p.done
}
