package mirror

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/member"
)

// Sweeper deletes member copies that no hub record places on their cluster any more. It is a manager
// Runnable that runs on the elected hub only.
type Sweeper struct {
	// Clusters lists the engaged member clusters.
	Clusters func() []string
	Get      func(ctx context.Context, name multicluster.ClusterName) (ClusterClient, error)
	// Hub reads records uncached: a record just created must never look absent.
	Hub client.Reader
	// Interval between sweeps (default 30s).
	Interval time.Duration
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

// Sweep runs one pass over every engaged member.
func (s *Sweeper) Sweep(ctx context.Context) {
	log := ctrl.LoggerFrom(ctx).WithName("sweeper")
	for _, name := range s.Clusters() {
		cl, err := s.Get(ctx, multicluster.ClusterName(name))
		if err != nil {
			continue
		}
		copies := &seiv1alpha1.SeiNodeList{}
		if err := cl.GetClient().List(ctx, copies, client.MatchingLabels{member.LabelManagedBy: member.ManagedByHub}); err != nil {
			log.Error(err, "List member copies", "cluster", name)
			continue
		}
		for i := range copies.Items {
			c := &copies.Items[i]
			placed, recordExists := s.placement(ctx, c, name)
			if !c.DeletionTimestamp.IsZero() || placed {
				continue
			}
			// The cache may be behind (a copy orphaned a moment ago still shows the hub's label):
			// decide on a fresh read, and delete exactly the version read.
			fresh := &seiv1alpha1.SeiNode{}
			if err := cl.GetAPIReader().Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil ||
				fresh.Labels[member.LabelManagedBy] != member.ManagedByHub {
				continue
			}
			if placed, _ := s.placement(ctx, fresh, name); placed {
				continue
			}
			if !recordExists && fresh.Annotations[seiv1alpha1.AnnotationDeletionPolicy] != string(seiv1alpha1.DeletionDelete) {
				// Its record was released while this cluster was away, under deletion policy Retain:
				// let go of it now, as the record would have.
				log.Info("Orphaning member copy whose record is gone (deletion policy Retain)", "cluster", name, "SeiNode", client.ObjectKeyFromObject(c))
				if err := member.Orphan(ctx, cl.GetClient(), fresh, time.Now().UTC().Format(time.RFC3339)); err != nil {
					log.Error(err, "Orphan member copy", "cluster", name)
				}
				continue
			}
			log.Info("Deleting member copy no record places here", "cluster", name, "SeiNode", client.ObjectKeyFromObject(c))
			pre := client.Preconditions{UID: &fresh.UID, ResourceVersion: &fresh.ResourceVersion}
			if err := cl.GetClient().Delete(ctx, fresh, pre); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				log.Error(err, "Delete stale member copy", "cluster", name)
			}
		}
	}
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
