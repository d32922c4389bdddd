package testfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ControlPlane is one running cluster: a kube-apiserver and its etcd.
type ControlPlane struct {
	// Name of the cluster (the hub is "hub").
	Name string
	// Env is the envtest environment behind it.
	Env *envtest.Environment
	// Config is an admin REST config.
	Config *rest.Config
	// Client is an admin client with the fleet scheme.
	Client client.Client
	// Kubeconfig is an admin kubeconfig (a system:masters client certificate).
	Kubeconfig []byte
	// Sim is the cluster's Simulator when the fleet was started with Simulate.
	Sim *Simulator

	stopSim context.CancelFunc
	simDone chan struct{}
	// thread forks the processes (see pdeathsig.go); dir holds their files (see rundir.go).
	thread *osThread
	dir    string
}

// StartSimulator starts a Simulator on this cluster (see Options.Simulate).
func (cp *ControlPlane) StartSimulator() {
	ctx, cancel := context.WithCancel(context.Background())
	cp.Sim = &Simulator{Client: cp.Client}
	cp.stopSim, cp.simDone = cancel, make(chan struct{})
	go func() {
		defer close(cp.simDone)
		cp.Sim.Run(ctx)
	}()
}

// StopSimulator stops the Simulator, if one runs.
func (cp *ControlPlane) StopSimulator() {
	if cp.stopSim != nil {
		cp.stopSim()
		<-cp.simDone
		cp.stopSim = nil
	}
}

// Host is the apiserver's URL.
func (cp *ControlPlane) Host() string { return cp.Config.Host }

// WriteKubeconfig writes the admin kubeconfig to dir/<name>.kubeconfig and returns the path.
func (cp *ControlPlane) WriteKubeconfig(dir string) (string, error) {
	path := filepath.Join(dir, cp.Name+".kubeconfig")
	if err := os.WriteFile(path, cp.Kubeconfig, 0o600); err != nil {
		return "", fmt.Errorf("write kubeconfig of %s: %w", cp.Name, err)
	}
	return path, nil
}

// UserKubeconfig returns a kubeconfig for a user with a client certificate naming user and groups,
// for tests of least-privilege identities. The user has no rights until RBAC grants them.
func (cp *ControlPlane) UserKubeconfig(user string, groups ...string) ([]byte, *rest.Config, error) {
	u, err := cp.Env.AddUser(envtest.User{Name: user, Groups: groups}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("add user %s to %s: %w", user, cp.Name, err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig of %s on %s: %w", user, cp.Name, err)
	}
	return kc, u.Config(), nil
}

// Pause freezes the apiserver process (SIGSTOP): clients see a hung cluster, a network partition.
func (cp *ControlPlane) Pause() error { return cp.signalAPIServer(syscall.SIGSTOP) }

// Resume undoes Pause (SIGCONT).
func (cp *ControlPlane) Resume() error { return cp.signalAPIServer(syscall.SIGCONT) }

// StopAPIServer stops the apiserver and keeps etcd, so a later StartAPIServer serves the same data
// (with new serving certificates: refresh kubeconfigs with AdminKubeconfig).
func (cp *ControlPlane) StopAPIServer() error {
	api := cp.Env.ControlPlane.APIServer
	if err := api.Stop(); err != nil {
		return fmt.Errorf("stop apiserver of %s: %w", cp.Name, err)
	}
	// The next start mints new serving certificates only into an empty directory.
	if err := os.RemoveAll(api.CertDir); err != nil {
		return fmt.Errorf("remove certificates of %s: %w", cp.Name, err)
	}
	return nil
}

// StartAPIServer starts the apiserver again after StopAPIServer, on the same etcd, and refreshes
// Config, Client and Kubeconfig.
func (cp *ControlPlane) StartAPIServer() error {
	api := cp.Env.ControlPlane.APIServer
	if err := os.MkdirAll(api.CertDir, 0o700); err != nil {
		return fmt.Errorf("make certificate directory of %s: %w", cp.Name, err)
	}
	if err := cp.thread.do(api.Start); err != nil {
		return fmt.Errorf("start apiserver of %s: %w", cp.Name, err)
	}
	return cp.connect()
}

func (cp *ControlPlane) signalAPIServer(sig syscall.Signal) error {
	pid, err := cp.apiserverPID()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %v to apiserver of %s (pid %d): %w", sig, cp.Name, pid, err)
	}
	return nil
}

// apiserverPID finds the kube-apiserver process serving this control plane's secure port. envtest
// keeps the process handle private, so the port in its command line identifies it.
func (cp *ControlPlane) apiserverPID() (int, error) {
	port := cp.Env.ControlPlane.APIServer.Port
	pids := processesWhere(func(argv []string) bool {
		return strings.HasSuffix(argv[0], "kube-apiserver") && slices.Contains(argv[1:], "--secure-port="+port)
	})
	if len(pids) == 0 {
		return 0, fmt.Errorf("no kube-apiserver process with --secure-port=%s for %s", port, cp.Name)
	}
	return pids[0], nil
}
