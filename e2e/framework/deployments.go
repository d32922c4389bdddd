package framework

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// DeleteDeploymentAndWait deletes a deployment on hub with deletionPolicy Delete and waits (up to 90s)
// until it is gone, so that no test leaves nodes running for the next ones.
func DeleteDeploymentAndWait(ctx context.Context, hub client.Client, key client.ObjectKey) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	d := &seiv1alpha1.SeiNodeDeployment{}
	for ctx.Err() == nil {
		if err := hub.Get(ctx, key, d); err != nil {
			return nil // gone
		}
		if d.DeletionTimestamp.IsZero() {
			d.Spec.DeletionPolicy = seiv1alpha1.DeletionDelete
			if err := hub.Update(ctx, d); err == nil {
				_ = hub.Delete(ctx, d)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("deployment %s was not gone 90s after it was deleted", key)
}

// DumpOnFailure logs, when the test fails, a deployment's status on hub and the status of the records
// in its namespace.
func DumpOnFailure(t *testing.T, hub client.Client, key client.ObjectKey) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx := context.WithoutCancel(t.Context())
		d := &seiv1alpha1.SeiNodeDeployment{}
		if err := hub.Get(ctx, key, d); err == nil {
			out, _ := yaml.Marshal(d.Status)
			t.Logf("deployment %s status:\n%s", key, out)
		}
		list := &seiv1alpha1.SeiNodeList{}
		if err := hub.List(ctx, list, client.InNamespace(key.Namespace)); err == nil {
			for _, n := range list.Items {
				out, _ := yaml.Marshal(map[string]any{"cluster": n.Spec.ClusterName, "deleting": n.DeletionTimestamp != nil,
					"phase": n.Status.Phase, "plan": n.Status.Plan, "conditions": n.Status.Conditions})
				t.Logf("record %s:\n%s", n.Name, out)
			}
		}
	})
}
