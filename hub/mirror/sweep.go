package mirror

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/member"
)

// ReasonValidatorNotSwept is the Event reason, on the ManagedCluster, for a validator copy no record
// places on that cluster: the sweeper reports it and leaves it to an admin.
const ReasonValidatorNotSwept = "ValidatorNotSwept"

// DefaultMaxDeletions is how many member copies one sweep deletes at most, over all clusters.
const DefaultMaxDeletions = 10

// Sweeper deletes member copies that no hub record places on their cluster any more. It is a manager
// Runnable that runs on the elected hub only.
//
// It acts only on what it is sure of: a cluster whose identity it verified in that pass (a kubeconfig
// that reaches another cluster would make every copy there look unplaced), copies that carry this
// hub's ID (another hub's, or a copy made before hub IDs, are not its to judge), and never a
// validator: a validator copy no record places is reported (a log line and a Warning Event on the
// ManagedCluster), since deleting it takes its data volume with it and only an admin can tell whether
// it is the one that signs. A pass deletes at most MaxDeletions copies: a mistake costs a few nodes,
// not the fleet.
type Sweeper struct {
	// Clusters lists the engaged member clusters.
	Clusters func() []string
	Get      func(ctx context.Context, name multicluster.ClusterName) (ClusterClient, error)
	// Identity verifies each cluster before it is swept.
	Identity IdentityVerifier
	// HubID is this hub's identity: only copies carrying it in seiv1alpha1.AnnotationHubID are swept.
	HubID string
	// Hub reads records uncached: a record just created must never look absent.
	Hub client.Reader
	// Recorder reports validator copies the sweeper leaves alone (optional).
	Recorder events.EventRecorder
	// Interval between sweeps (default 30s).
	Interval time.Duration
	// MaxDeletions caps the deletions of one pass (default DefaultMaxDeletions).
	MaxDeletions int
}

// ClusterClient is what the sweeper needs of a member cluster.
type ClusterClient interface {
	GetClient() client.Client
	GetAPIReader() client.Reader
}

// NeedLeaderElection: one hub sweeps.
func (s *Sweeper) NeedLeaderElection() bool { return true }

// Start sweeps until ctx ends.
func (s *Sweeper) Start(ctx context.Context) error {
	if s.Identity == nil || s.HubID == "" {
		return errors.New("sweeper needs an identity verifier and the hub's ID")
	}
	interval := s.Interval
	if interval == 0 {
		interval = 30 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.Sweep(ctx)
		}
	}
}

// Sweep runs one pass over every engaged member and returns how many copies it deleted.
func (s *Sweeper) Sweep(ctx context.Context) int {
	log := ctrl.LoggerFrom(ctx).WithName("sweeper")
	budget := s.MaxDeletions
	if budget <= 0 {
		budget = DefaultMaxDeletions
	}
	if s.Identity == nil || s.HubID == "" {
		return 0 // not configured: sweep nothing rather than anything unverified
	}
	deleted := 0
	for _, name := range s.Clusters() {
		if deleted >= budget {
			log.Info("Deletion cap of this sweep reached: the rest waits for the next one", "max", budget)
			break
		}
		if err := s.Identity.VerifyIdentity(ctx, name); err != nil {
			log.Info("Not sweeping a cluster whose identity is not verified", "cluster", name, "reason", err.Error())
			continue
		}
		cl, err := s.Get(ctx, multicluster.ClusterName(name))
		if err != nil {
			continue
		}
		deleted += s.sweepCluster(ctx, name, cl, budget-deleted)
	}
	return deleted
}

// sweepCluster sweeps one verified cluster, deleting at most budget copies.
func (s *Sweeper) sweepCluster(ctx context.Context, name string, cl ClusterClient, budget int) int {
	log := ctrl.LoggerFrom(ctx).WithName("sweeper").WithValues("cluster", name)
	copies := &seiv1alpha1.SeiNodeList{}
	if err := cl.GetClient().List(ctx, copies, client.MatchingLabels{member.LabelManagedBy: member.ManagedByHub}); err != nil {
		log.Error(err, "List member copies")
		return 0
	}
	deleted := 0
	for i := range copies.Items {
		c := &copies.Items[i]
		if c.Annotations[seiv1alpha1.AnnotationHubID] != s.HubID {
			continue
		}
		placed, recordExists := s.placement(ctx, c, name)
		if !c.DeletionTimestamp.IsZero() || placed {
			continue
		}
		// The cache may be behind (a copy orphaned a moment ago still shows the hub's label):
		// decide on a fresh read, and delete exactly the version read.
		fresh := &seiv1alpha1.SeiNode{}
		if err := cl.GetAPIReader().Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil ||
			fresh.Labels[member.LabelManagedBy] != member.ManagedByHub || fresh.Annotations[seiv1alpha1.AnnotationHubID] != s.HubID {
			continue
		}
		if placed, _ := s.placement(ctx, fresh, name); placed {
			continue
		}
		key := client.ObjectKeyFromObject(fresh)
		if !recordExists && fresh.Annotations[seiv1alpha1.AnnotationDeletionPolicy] != string(seiv1alpha1.DeletionDelete) {
			// Its record was released while this cluster was away, under deletion policy Retain:
			// let go of it now, as the record would have.
			log.Info("Orphaning member copy whose record is gone (deletion policy Retain)", "SeiNode", key)
			if err := member.Orphan(ctx, cl.GetClient(), fresh, time.Now().UTC().Format(time.RFC3339)); err != nil {
				log.Error(err, "Orphan member copy")
			}
			continue
		}
		if fresh.Spec.Validator != nil {
			s.reportValidator(ctx, name, fresh, recordExists)
			continue
		}
		if deleted >= budget {
			log.Info("Deletion cap of this sweep reached: the rest waits for the next one", "SeiNode", key)
			return deleted
		}
		log.Info("Deleting member copy no record places here", "SeiNode", key)
		pre := client.Preconditions{UID: &fresh.UID, ResourceVersion: &fresh.ResourceVersion}
		err := cl.GetClient().Delete(ctx, fresh, pre)
		switch {
		case err == nil:
			deleted++
		case !apierrors.IsNotFound(err) && !apierrors.IsConflict(err):
			log.Error(err, "Delete stale member copy", "SeiNode", key)
		}
	}
	return deleted
}

// reportValidator says, in the log and as an Event on the cluster's ManagedCluster, that a validator
// copy no record places there is left for an admin.
func (s *Sweeper) reportValidator(ctx context.Context, cluster string, c *seiv1alpha1.SeiNode, recordExists bool) {
	why := "its record is gone"
	if recordExists {
		why = "its record places it on another cluster"
	}
	ctrl.LoggerFrom(ctx).WithName("sweeper").Info("Not deleting a validator copy no record places here: an admin must decide",
		"cluster", cluster, "SeiNode", client.ObjectKeyFromObject(c), "reason", why)
	if s.Recorder == nil {
		return
	}
	mc := &clusterv1.ManagedCluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "ManagedCluster"},
		ObjectMeta: metav1.ObjectMeta{Name: cluster},
	}
	// The copy as the related object: events about one cluster with one reason are otherwise merged
	// into one series, and each validator needs its own.
	related := &corev1.ObjectReference{APIVersion: seiv1alpha1.GroupVersion.String(), Kind: "SeiNode", Namespace: c.Namespace, Name: c.Name}
	s.Recorder.Eventf(mc, related, corev1.EventTypeWarning, ReasonValidatorNotSwept, "Sweep",
		"validator %s/%s on this cluster is not placed here (%s); the hub never deletes a validator on its own: "+
			"make sure it is not the one that signs, then delete it on the member", c.Namespace, c.Name, why)
}

// placement reports whether a hub record places this copy on cluster, and whether the record exists at
// all. Any doubt (an error reading the hub) counts as placed: the sweeper only acts on what it is sure
// of.
func (s *Sweeper) placement(ctx context.Context, c *seiv1alpha1.SeiNode, cluster string) (placed, exists bool) {
	record := &seiv1alpha1.SeiNode{}
	err := s.Hub.Get(ctx, client.ObjectKeyFromObject(c), record)
	switch {
	case apierrors.IsNotFound(err):
		return false, false
	case err != nil:
		return true, true
	}
	return record.Spec.ClusterName == cluster, true
}
