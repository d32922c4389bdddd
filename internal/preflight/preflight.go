// Package preflight checks, before a manager starts, that the cluster a binary is pointed at answers
// and serves the APIs the binary needs, so a wrong kubeconfig or a missing CRD ends the process with one
// clear sentence instead of a stream of retries.
package preflight

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// LoadConfig returns a REST config from an explicit kubeconfig path, else $KUBECONFIG or the in-cluster
// service account, else ~/.kube/config.
func LoadConfig(kubeconfig string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		if _, err := os.Stat(kubeconfig); err != nil {
			return nil, fmt.Errorf("read kubeconfig %s: %w", kubeconfig, err)
		}
		rules.ExplicitPath = kubeconfig
	} else if os.Getenv("KUBECONFIG") == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	return cfg, nil
}

// Check verifies, within timeout, that the cluster answers and serves every kind in kinds. what names
// the cluster in messages ("the hub cluster").
func Check(ctx context.Context, cfg *rest.Config, what string, timeout time.Duration, kinds ...schema.GroupVersionKind) error {
	c := rest.CopyConfig(cfg)
	c.Timeout = timeout
	dc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return fmt.Errorf("build a client for %s at %s: %w", what, cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := dc.ServerVersion()
		done <- err
	}()
	select {
	case <-ctx.Done():
		return fmt.Errorf("cannot reach %s at %s: no answer within %s", what, cfg.Host, timeout)
	case err := <-done:
		if err != nil {
			return fmt.Errorf("cannot reach %s at %s: %w", what, cfg.Host, err)
		}
	}
	var missing []error
	for _, gvk := range kinds {
		list, err := dc.ServerResourcesForGroupVersion(gvk.GroupVersion().String())
		found := false
		if err == nil {
			for _, r := range list.APIResources {
				if r.Kind == gvk.Kind {
					found = true
					break
				}
			}
		}
		if !found {
			missing = append(missing, fmt.Errorf("%s does not serve %s (%s): install its CRD first (see deploy/crds)", what, gvk.Kind, gvk.GroupVersion()))
		}
	}
	return aggregate.Join(missing...)
}
