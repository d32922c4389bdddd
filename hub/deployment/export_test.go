package deployment

import seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"

// The tasks and values the real-apiserver tests (package deployment_test) drive directly.
var (
	SetPaused         = setPaused
	Roll              = roll
	DistributeGenesis = distributeGenesis
	WriteRecords      = writeRecords
)

// BuildRecord renders the record of ordinal on cluster as a place plan writes it anew.
func BuildRecord(dep *seiv1alpha1.SeiNodeDeployment, ordinal int, cluster string) *seiv1alpha1.SeiNode {
	return buildRecord(dep, recordInput{Ordinal: ordinal, Cluster: cluster, Policy: dep.Spec.Placement.PolicyName})
}
