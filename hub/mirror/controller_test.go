package mirror_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"
	mcreconcile "sigs.k8s.io/multicluster-runtime/pkg/reconcile"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/mirror"
)

// Every member copy carries the ID of the hub that made it, and the record notes the UID of the copy
// the hub saw.
func TestMirrorStampsItsHubIDAndRecordsTheCopyUID(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us := fleet.Member("us")
	e := startHub(t, true)
	here := e.name("us")
	e.register(t, here, us)
	rec := e.record(t, "validator-0", here, true)

	memberCopy := &seiv1alpha1.SeiNode{}
	g.Eventually(func() error { return us.Client.Get(ctx, client.ObjectKeyFromObject(rec), memberCopy) }).
		WithTimeout(wait).WithPolling(poll).Should(Succeed())
	g.Expect(memberCopy.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationHubID, e.hubID))
	g.Eventually(func() map[string]string {
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), rec)
		return rec.Annotations
	}).WithTimeout(wait).WithPolling(poll).Should(HaveKeyWithValue(seiv1alpha1.AnnotationMemberCopyUID, string(memberCopy.UID)))
}

// The mirror never brings back a copy the fence removed, even when its caches are behind: the
// record it read does not carry the fence mark yet, and the member's cache may still show the copy.
func TestMirrorNeverRecreatesAFencedCopyFromStaleCaches(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us := fleet.Member("us")
	e := startHub(t, true)
	here := e.name("us")
	cl := e.register(t, here, us)
	rec := e.record(t, "validator-0", here, true)
	key := client.ObjectKeyFromObject(rec)
	oldCopy := &seiv1alpha1.SeiNode{}
	g.Eventually(func() error { return cl.GetClient().Get(ctx, key, oldCopy) }).WithTimeout(wait).WithPolling(poll).Should(Succeed())

	// The record changes (a new image) just before the fence; what the stale caches hold is the
	// record with the new image and no fence mark, and the copy with the old image. The mirror writes
	// the record meanwhile (its copy's UID): read it again on a conflict.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := fleet.Hub.Client.Get(ctx, key, rec); err != nil {
			return err
		}
		rec.Spec.Image = "seid:v2"
		return fleet.Hub.Client.Update(ctx, rec)
	})).To(Succeed())
	staleRecord := rec.DeepCopy()

	// The fence: mark the record, delete the copy (no agent here, so it goes at once).
	patch := client.MergeFrom(rec.DeepCopy())
	if rec.Annotations == nil {
		rec.Annotations = map[string]string{}
	}
	rec.Annotations[seiv1alpha1.AnnotationFencing] = here
	g.Expect(fleet.Hub.Client.Patch(ctx, rec, patch)).To(Succeed())
	g.Expect(client.IgnoreNotFound(us.Client.Delete(ctx, oldCopy.DeepCopy()))).To(Succeed())
	g.Eventually(func() error { return us.Client.Get(ctx, key, &seiv1alpha1.SeiNode{}) }).WithTimeout(wait).WithPolling(poll).ShouldNot(Succeed())

	gone := func() {
		t.Helper()
		g.Consistently(func() error { return us.Client.Get(ctx, key, &seiv1alpha1.SeiNode{}) }).
			WithTimeout(2*time.Second).WithPolling(poll).ShouldNot(Succeed(), "the fenced copy stays gone")
	}
	req := mcreconcile.Request{Request: reconcile.Request{NamespacedName: key}}

	// The hub's cache is behind, the member's is not.
	g.Eventually(func() error { return cl.GetClient().Get(ctx, key, &seiv1alpha1.SeiNode{}) }).
		WithTimeout(wait).WithPolling(poll).ShouldNot(Succeed(), "the member cache saw the deletion")
	_, _ = staleMirror(e, staleRecord, nil).Reconcile(ctx, req)
	gone()

	// Both are behind: the member's cache still shows the old copy, which differs from the record.
	_, _ = staleMirror(e, staleRecord, oldCopy).Reconcile(ctx, req)
	gone()
}

// staleMirror is a mirror whose hub cache serves record, and whose member caches serve memberCopy
// (when not nil), whatever the clusters hold: informers that are behind. Uncached reads are real.
func staleMirror(e *hubEnv, record, memberCopy *seiv1alpha1.SeiNode) *mirror.Reconciler {
	return &mirror.Reconciler{
		Manager: &staleManager{Manager: e.mgr, record: record, memberCopy: memberCopy},
		Scheme:  fleet.Scheme, HubID: e.hubID, Identity: e.provider,
	}
}

type staleManager struct {
	mcmanager.Manager
	record, memberCopy *seiv1alpha1.SeiNode
}

func (m *staleManager) GetLocalManager() manager.Manager {
	return &staleLocal{Manager: m.Manager.GetLocalManager(), client: &staleClient{Client: m.Manager.GetLocalManager().GetClient(), node: m.record}}
}

func (m *staleManager) GetCluster(ctx context.Context, name multicluster.ClusterName) (cluster.Cluster, error) {
	cl, err := m.Manager.GetCluster(ctx, name)
	if err != nil || m.memberCopy == nil {
		return cl, err
	}
	return &staleCluster{Cluster: cl, client: &staleClient{Client: cl.GetClient(), node: m.memberCopy}}, nil
}

type staleLocal struct {
	manager.Manager
	client client.Client
}

func (l *staleLocal) GetClient() client.Client { return l.client }

type staleCluster struct {
	cluster.Cluster
	client client.Client
}

func (c *staleCluster) GetClient() client.Client { return c.client }

// staleClient serves node for its key; everything else goes to the real client.
type staleClient struct {
	client.Client
	node *seiv1alpha1.SeiNode
}

func (c *staleClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if n, ok := obj.(*seiv1alpha1.SeiNode); ok && key == client.ObjectKeyFromObject(c.node) {
		c.node.DeepCopyInto(n)
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}
