package node

import seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"

// PodHost exposes podHost to the package's external tests.
func (r *Reconciler) PodHost(node *seiv1alpha1.SeiNode) string { return r.podHost(node) }

// FenceMargin exposes fenceMargin to the package's external tests.
const FenceMargin = fenceMargin
