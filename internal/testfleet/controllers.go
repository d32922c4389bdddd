package testfleet

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrNoControllerManager means kube-controller-manager is not among the test binaries: `make
// test-bins` (hack/install-k8s-test-bins.sh) builds it beside kube-apiserver.
var ErrNoControllerManager = errors.New("kube-controller-manager test binary not found")

// StartControllers runs kube-controller-manager against cp with only the named controllers (e.g.
// "garbage-collector-controller"), for tests of what those controllers do to the objects under test:
// envtest runs none, so without them an owned object is never collected and a claim being deleted
// never goes. It returns a function that stops the process; its log is <run dir>/<cluster>/kcm.log.
// Like the apiserver, the process is forked from the control plane's thread under a parent-death
// signal, so it dies with the test process.
func (cp *ControlPlane) StartControllers(controllers ...string) (stop func() error, err error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(assets, "kube-controller-manager")
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("%w in %s", ErrNoControllerManager, assets)
	}
	if cp.dir == "" {
		return nil, fmt.Errorf("control plane %s is not running", cp.Name)
	}
	kubeconfig, err := cp.WriteKubeconfig(cp.dir)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(cp.dir, "kcm.log"))
	if err != nil {
		return nil, fmt.Errorf("create controller-manager log of %s: %w", cp.Name, err)
	}
	args := []string{
		"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
		"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
		"--controllers=" + strings.Join(controllers, ","),
	}
	name, argv := bin, args
	if sp, err := setpriv(); err == nil {
		name, argv = sp, append([]string{"--pdeathsig", "KILL", "--", bin}, args...)
	} else if InCI() {
		_ = logFile.Close()
		return nil, fmt.Errorf("kube-controller-manager would outlive a killed test: %w", err)
	}
	cmd := exec.Command(name, argv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cp.thread.do(cmd.Start); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start kube-controller-manager on %s: %w", cp.Name, err)
	}
	// Its exit status says nothing once it is told to stop; the log has what it said.
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if err := logFile.Close(); err != nil {
			return fmt.Errorf("close controller-manager log of %s: %w", cp.Name, err)
		}
		return nil
	}, nil
}
