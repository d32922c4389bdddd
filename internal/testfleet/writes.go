package testfleet

import (
	"context"
	"reflect"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// Write is one API write a controller made.
type Write struct {
	Verb        string // create, update, patch, apply, delete, deleteAllOf
	Subresource string // "status" for status writes
	Kind        string
	Namespace   string
	Name        string
	// Object is a copy of the object written (for create, update and patch of typed objects).
	Object client.Object
}

// WriteRecorder records every write made through the clients it builds, for tests that assert what a
// controller wrote, in which order, and that a converged controller writes nothing.
type WriteRecorder struct {
	Scheme *runtime.Scheme

	mu     sync.Mutex
	writes []Write
	gets   map[string]int // by kind
}

// NewClient is a manager's NewClient func that records writes.
func (r *WriteRecorder) NewClient(cfg *rest.Config, opts client.Options) (client.Client, error) {
	c, err := client.NewWithWatch(cfg, opts)
	if err != nil {
		return nil, err
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			r.countGet(obj)
			return c.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			r.record("create", "", obj)
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			r.record("update", "", obj)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			r.record("patch", "", obj)
			return c.Patch(ctx, obj, p, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			r.recordApply(obj)
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			r.record("delete", "", obj)
			return c.Delete(ctx, obj, opts...)
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			r.record("deleteAllOf", "", obj)
			return c.DeleteAllOf(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			r.record("update", sub, obj)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			r.record("patch", sub, obj)
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			r.record("create", sub, obj)
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
	}), nil
}

func (r *WriteRecorder) record(verb, sub string, obj client.Object) {
	kind := ""
	if r.Scheme != nil {
		if gvk, err := apiutil.GVKForObject(obj, r.Scheme); err == nil {
			kind = gvk.Kind
		}
	}
	if kind == "" {
		kind = reflect.Indirect(reflect.ValueOf(obj)).Type().Name()
	}
	w := Write{Verb: verb, Subresource: sub, Kind: kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	if cp, ok := obj.DeepCopyObject().(client.Object); ok {
		w.Object = cp
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, w)
}

func (r *WriteRecorder) recordApply(ac runtime.ApplyConfiguration) {
	w := Write{Verb: "apply"}
	if o, ok := ac.(interface {
		GetKind() string
		GetName() string
		GetNamespace() string
	}); ok {
		w.Kind, w.Name, w.Namespace = o.GetKind(), o.GetName(), o.GetNamespace()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, w)
}

func (r *WriteRecorder) countGet(obj client.Object) {
	kind := reflect.Indirect(reflect.ValueOf(obj)).Type().Name()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gets == nil {
		r.gets = map[string]int{}
	}
	r.gets[kind]++
}

// Gets returns how many Get calls were made for objects of the Go type named kind (e.g. "SeiNode"):
// proof that a controller was reconciling while it wrote nothing.
func (r *WriteRecorder) Gets(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets[kind]
}

// Writes returns the writes recorded so far, oldest first.
func (r *WriteRecorder) Writes() []Write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Write(nil), r.writes...)
}

// Reset forgets every recorded write.
func (r *WriteRecorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes, r.gets = nil, nil
}
