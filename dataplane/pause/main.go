// Command pause is the pod sandbox's process, built into the local registry.k8s.io/pause:3.6
// image (dataplane/images.BuildPause). It holds the pod's namespaces open and does nothing else,
// except what falls to PID 1 of a pod with shareProcessNamespace: orphans are reparented to it, so
// it reaps them, or they would stay zombies. It exits 0 on SIGTERM or SIGINT, which is how the
// runtime stops a sandbox.
//
// It is built static (CGO_ENABLED=0): the image holds this one file.
package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 16)
	// Without handlers, PID 1 of a namespace ignores SIGTERM and SIGINT: the kernel drops signals
	// that would take the default action on a namespace's init.
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	run(sigs)
	// Returning from main exits 0: a stopped sandbox is not a failure.
}

// run reaps children on every SIGCHLD and returns once told to stop.
func run(sigs <-chan os.Signal) {
	// Children that exited before the handler was installed sent their SIGCHLD to nobody.
	reap()
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		return
	}
}

// reap collects every exited child. Signals coalesce, so one SIGCHLD may stand for many children.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		// ECHILD: no children at all; 0: the others still run.
		if err != nil || pid <= 0 {
			return
		}
	}
}
