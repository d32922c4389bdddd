package framework

import (
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// Environment variables that point the suite at existing clusters (make e2e-kind sets them).
const (
	// EnvHubKubeconfig is the hub cluster's kubeconfig path.
	EnvHubKubeconfig = "E2E_HUB_KUBECONFIG"
	// EnvMemberKubeconfigs lists member clusters as name=path,name=path (names as registered on the hub).
	EnvMemberKubeconfigs = "E2E_MEMBER_KUBECONFIGS"
)

// FromEnv returns a fleet of existing clusters when EnvHubKubeconfig is set (the hub and agents must
// already run there and the members be registered), or nil.
func FromEnv() (*testfleet.Fleet, error) {
	hubPath := os.Getenv(EnvHubKubeconfig)
	if hubPath == "" {
		return nil, nil
	}
	scheme, err := testfleet.Scheme()
	if err != nil {
		return nil, err
	}
	connect := func(name, path string) (*testfleet.ControlPlane, error) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read kubeconfig of %s: %w", name, err)
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig(raw)
		if err != nil {
			return nil, fmt.Errorf("parse kubeconfig of %s: %w", name, err)
		}
		cfg.Timeout = 30 * time.Second
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			return nil, fmt.Errorf("client for %s: %w", name, err)
		}
		return &testfleet.ControlPlane{Name: name, Config: cfg, Client: c, Kubeconfig: raw}, nil
	}
	f := &testfleet.Fleet{Scheme: scheme}
	if f.Hub, err = connect(testfleet.HubName, hubPath); err != nil {
		return nil, err
	}
	for _, pair := range strings.Split(os.Getenv(EnvMemberKubeconfigs), ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, path, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("%s: want name=path, got %q", EnvMemberKubeconfigs, pair)
		}
		m, err := connect(name, path)
		if err != nil {
			return nil, err
		}
		f.Members = append(f.Members, m)
	}
	if len(f.Members) == 0 {
		return nil, fmt.Errorf("%s is set but %s lists no member", EnvHubKubeconfig, EnvMemberKubeconfigs)
	}
	return f, nil
}
