package framework

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Signers are counted where they sign: every seid process on this machine that runs `seid start`
// with a validator key, whatever container, pod, node or cluster it belongs to. Objects (SeiNodes,
// StatefulSets, pods) say what should run; a process that holds a key is what can sign. The real data
// plane runs every member's node on this host, so /proc sees them all.

// Signer is one running seid process and the validator key it holds.
type Signer struct {
	PID int
	// Address is the consensus key's address (priv_validator_key.json "address").
	Address string
	// Home is seid's --home inside the process's own root filesystem.
	Home string
	// SignedHeight is the height in the process's priv_validator_state.json (-1 when unreadable).
	SignedHeight int64
	// PPID is the parent's PID (0 when unreadable).
	PPID int
}

// ProcRoot is where process information is read from (a test may point it elsewhere).
var ProcRoot = "/proc"

// Signers lists every `seid start` process with a readable validator key, sorted by address then PID.
// A process that exits while it is read is left out; a full node (no key file) is not a signer.
func Signers() ([]Signer, error) {
	entries, err := os.ReadDir(ProcRoot)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []Signer
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		s, ok := readSigner(pid)
		if ok {
			out = append(out, s)
		}
	}
	out = withoutForks(out)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Address != out[j].Address {
			return out[i].Address < out[j].Address
		}
		return out[i].PID < out[j].PID
	})
	return out, nil
}

// readSigner reads one process; ok is false for anything that is not a seid signer, or is gone.
func readSigner(pid int) (Signer, bool) {
	dir := filepath.Join(ProcRoot, strconv.Itoa(pid))
	raw, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil || len(raw) == 0 {
		return Signer{}, false
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	home, ok := seidStartHome(args)
	if !ok {
		return Signer{}, false
	}
	root := filepath.Join(dir, "root")
	addr, err := keyAddress(filepath.Join(root, home, "config", "priv_validator_key.json"))
	if err != nil || addr == "" {
		return Signer{}, false
	}
	return Signer{PID: pid, PPID: parent(dir), Address: addr, Home: home,
		SignedHeight: signedHeight(filepath.Join(root, home, "data", "priv_validator_state.json"))}, true
}

// withoutForks drops a process whose parent is a seid holding the same key: a child seid forked and
// has not exec'd or exited yet (its cmdline and root are still its parent's). Fork copies only the
// calling thread, so the child runs no consensus and cannot sign; seid starts no seid. Seen on the
// real data plane at the halt height: baseapp's halt calls os.FindProcess, whose first call probes
// pidfd support by cloning a child (CLONE_VFORK|CLONE_VM|CLONE_PIDFD) that exits at once; under load
// it was seen for over 200 ms and counted as a second signer (perf callchain of the clone:
// syscall.rawVforkSyscall < os.checkClonePidfd < os.findProcess < BaseApp.halt < BaseApp.Commit).
func withoutForks(all []Signer) []Signer {
	byPID := make(map[int]Signer, len(all))
	for _, s := range all {
		byPID[s.PID] = s
	}
	out := all[:0]
	for _, s := range all {
		if p, ok := byPID[s.PPID]; ok && p.Address == s.Address {
			continue
		}
		out = append(out, s)
	}
	return out
}

// parent reads the parent PID from a process's stat (0 when unreadable).
func parent(dir string) int {
	raw, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0
	}
	// The fields after the command's closing parenthesis: state, then ppid.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// seidStartHome recognises `seid start ... --home H` (or --home=H) and returns H.
func seidStartHome(args []string) (string, bool) {
	if len(args) < 2 || filepath.Base(args[0]) != "seid" {
		return "", false
	}
	start, home := false, ""
	for i, a := range args[1:] {
		switch {
		case a == "start":
			start = true
		case a == "--home" && i+2 < len(args):
			home = args[i+2]
		case strings.HasPrefix(a, "--home="):
			home = strings.TrimPrefix(a, "--home=")
		}
	}
	return home, start && home != ""
}

// keyAddress reads only the address of a priv_validator_key.json: the private key is never kept.
func keyAddress(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	var k struct {
		Address string `json:"address"`
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&k); err != nil {
		return "", fmt.Errorf("%s is not a validator key file", path)
	}
	return k.Address, nil
}

// signedHeight reads the height of a priv_validator_state.json, or -1.
func signedHeight(path string) int64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	var s struct {
		Height string `json:"height"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return -1
	}
	h, err := strconv.ParseInt(s.Height, 10, 64)
	if err != nil {
		return -1
	}
	return h
}

// SignerReport is what a SignerWatch saw.
type SignerReport struct {
	// Samples is how many times the machine was scanned.
	Samples int
	// MostAtOnce maps each key address to the most processes seen holding it at one instant.
	MostAtOnce map[string]int
	// HighestSigned maps each key address to the highest signed height seen.
	HighestSigned map[string]int64
	// Violations lists, in order, every instant a key had two signers or its signed height went back.
	Violations []string
	// Errors counts scans that failed.
	Errors int
}

// SignerWatch scans the machine for signers on an interval until Stop.
type SignerWatch struct {
	stop chan struct{}
	done chan SignerReport
}

// WatchSigners starts a watch that scans every interval.
func WatchSigners(interval time.Duration) *SignerWatch {
	w := &SignerWatch{stop: make(chan struct{}), done: make(chan SignerReport, 1)}
	go func() {
		r := SignerReport{MostAtOnce: map[string]int{}, HighestSigned: map[string]int64{}}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			r.observe(time.Now())
			select {
			case <-w.stop:
				r.observe(time.Now())
				w.done <- r
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Stop ends the watch and returns what it saw.
func (w *SignerWatch) Stop() SignerReport {
	close(w.stop)
	return <-w.done
}

func (r *SignerReport) observe(at time.Time) {
	signers, err := Signers()
	r.Samples++
	if err != nil {
		r.Errors++
		return
	}
	byKey := map[string][]Signer{}
	for _, s := range signers {
		byKey[s.Address] = append(byKey[s.Address], s)
	}
	stamp := at.UTC().Format("15:04:05.000")
	for addr, ss := range byKey {
		r.MostAtOnce[addr] = max(r.MostAtOnce[addr], len(ss))
		if len(ss) > 1 {
			pids := make([]string, len(ss))
			for i, s := range ss {
				pids[i] = strconv.Itoa(s.PID)
			}
			r.Violations = append(r.Violations, fmt.Sprintf("%s key %s held by %d seid processes (pids %s)", stamp, addr, len(ss), strings.Join(pids, ",")))
			for _, s := range ss {
				r.Violations = append(r.Violations, describeProcess(s))
			}
		}
		for _, s := range ss {
			if s.SignedHeight < 0 {
				continue
			}
			if top, seen := r.HighestSigned[addr]; seen && s.SignedHeight < top {
				r.Violations = append(r.Violations, fmt.Sprintf("%s key %s: signed height went back from %d to %d (pid %d)", stamp, addr, top, s.SignedHeight, s.PID))
				continue
			}
			r.HighestSigned[addr] = s.SignedHeight
		}
	}
}

// describeProcess says where a signer runs: its state, parent, start time, cgroup and the key file's
// device and inode (two processes on one file, or on two copies).
func describeProcess(s Signer) string {
	dir := filepath.Join(ProcRoot, strconv.Itoa(s.PID))
	var state, ppid, start string
	if raw, err := os.ReadFile(filepath.Join(dir, "stat")); err == nil {
		// Fields after the command's closing parenthesis: state is the first, ppid the second,
		// starttime the twentieth.
		if i := bytes.LastIndexByte(raw, ')'); i > 0 {
			f := strings.Fields(string(raw[i+1:]))
			if len(f) > 19 {
				state, ppid, start = f[0], f[1], f[19]
			}
		}
	}
	cg, _ := os.ReadFile(filepath.Join(dir, "cgroup"))
	cgroup := ""
	for _, l := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		if strings.Contains(l, "pids") || strings.HasPrefix(l, "0::") {
			cgroup = l
		}
	}
	key := ""
	if fi, err := os.Stat(filepath.Join(dir, "root", s.Home, "config", "priv_validator_key.json")); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			key = fmt.Sprintf("dev %d ino %d", st.Dev, st.Ino)
		}
	}
	data := ""
	if fi, err := os.Stat(filepath.Join(dir, "root", s.Home, "data")); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			data = fmt.Sprintf("dev %d ino %d", st.Dev, st.Ino)
		}
	}
	return fmt.Sprintf("  key %s : pid %d state %s ppid %s start %s signed %d key file %s data dir %s cgroup %s", s.Address, s.PID, state, ppid, start, s.SignedHeight, key, data, cgroup)
}
