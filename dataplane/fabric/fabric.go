// Package fabric is the network between the local member nodes: an L2 bridge inside a network
// namespace of its own, one port per node, and one veth to the test's own namespace so the hub,
// the agents and the kube-apiservers (all on the host) reach node and pod addresses.
//
// Addresses come from 198.18.0.0/15, the range set aside for network tests (RFC 2544): fabric k is
// 198.18.k.0/24 (the host end .1, node i at .10+i) and node i's pods get 198.19.(8k+i).0/24. No
// namespace gets a default route: nothing in a node can reach past this machine.
package fabric

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/sei-protocol/sei-fleet/dataplane/netns"
)

// MaxNodes per fabric (each gets a /24 of pod addresses out of the fabric's /21).
const MaxNodes = 8

const maxFabrics = 32

// Fabric is a running bridge.
type Fabric struct {
	holder *netns.Holder
	index  int
	hostIf string
	nodes  int
}

// New makes a fabric with the first free index on this machine.
func New() (*Fabric, error) {
	h, err := netns.New("fabric")
	if err != nil {
		return nil, err
	}
	f := &Fabric{holder: h}
	if err := f.setup(); err != nil {
		h.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fabric) setup() error {
	ns := f.holder.Path()
	if err := run(ns, "ip", "link", "add", "br0", "type", "bridge"); err != nil {
		return err
	}
	if err := run(ns, "ip", "link", "set", "br0", "up"); err != nil {
		return err
	}
	// The host end's name doubles as the lock on the index: creating it fails when taken.
	var lastErr error
	for k := 0; k < maxFabrics; k++ {
		name := fmt.Sprintf("seifab%d", k)
		err := hostRun("link", "add", name, "type", "veth", "peer", "name", "host", "netns", fmt.Sprint(f.holder.Pid()))
		if err != nil {
			lastErr = err
			continue
		}
		f.index, f.hostIf = k, name
		break
	}
	if f.hostIf == "" {
		return fmt.Errorf("no free fabric index: %w", lastErr)
	}
	for _, c := range [][]string{
		{"ip", "link", "set", "host", "master", "br0"},
		{"ip", "link", "set", "host", "up"},
	} {
		if err := run(ns, c[0], c[1:]...); err != nil {
			return err
		}
	}
	if err := hostRun("addr", "add", f.HostIP()+"/24", "dev", f.hostIf); err != nil {
		return err
	}
	return hostRun("link", "set", f.hostIf, "up")
}

// HostIP is the host's address on the fabric.
func (f *Fabric) HostIP() string { return fmt.Sprintf("198.18.%d.1", f.index) }

// ClusterCIDR holds every pod address of this fabric.
func (f *Fabric) ClusterCIDR() string { return fmt.Sprintf("198.19.%d.0/21", 8*f.index) }

// Port is one node's place on the fabric.
type Port struct {
	// IP is the node's address.
	IP string
	// PodCIDR holds its pods' addresses.
	PodCIDR string

	slot int
}

// Reserve allocates the next node's addresses.
func (f *Fabric) Reserve() (Port, error) {
	if f.nodes >= MaxNodes {
		return Port{}, fmt.Errorf("fabric has room for %d nodes", MaxNodes)
	}
	i := f.nodes
	f.nodes++
	return Port{
		IP:      fmt.Sprintf("198.18.%d.%d", f.index, 10+i),
		PodCIDR: fmt.Sprintf("198.19.%d.0/24", 8*f.index+i),
		slot:    i,
	}, nil
}

// Attach gives the namespace at nsPath an eth0 on the bridge with p's address and routes the host
// to its pods.
func (f *Fabric) Attach(nsPath string, p Port) error {
	pid, err := pidOf(nsPath)
	if err != nil {
		return err
	}
	port := fmt.Sprintf("node%d", p.slot)
	fab := f.holder.Path()
	steps := []struct {
		ns   string
		args []string
	}{
		{fab, []string{"ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pid}},
		{fab, []string{"ip", "link", "set", port, "master", "br0"}},
		{fab, []string{"ip", "link", "set", port, "up"}},
		{nsPath, []string{"ip", "addr", "add", p.IP + "/24", "dev", "eth0"}},
		{nsPath, []string{"ip", "link", "set", "eth0", "up"}},
	}
	for _, s := range steps {
		if err := run(s.ns, s.args[0], s.args[1:]...); err != nil {
			return err
		}
	}
	return hostRun("route", "add", p.PodCIDR, "via", p.IP, "dev", f.hostIf)
}

// Close removes the fabric: the bridge's namespace goes, and the host's veth and routes with it.
func (f *Fabric) Close() { f.holder.Close() }

// pidOf reads the PID out of /proc/PID/ns/net.
func pidOf(nsPath string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(nsPath, "/proc/"), "/")
	if len(parts) != 3 || parts[1] != "ns" {
		return "", fmt.Errorf("not a /proc/PID/ns/net path: %s", nsPath)
	}
	return parts[0], nil
}

func run(ns, name string, args ...string) error { return netns.Exec(ns, name, args...) }

// hostRun runs ip in the test's own network namespace.
func hostRun(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
