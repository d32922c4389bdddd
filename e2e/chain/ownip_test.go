//go:build chain

package chain

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// configureOwnIP binds every listener seid has an address for to ip, with the standard ports, and
// sets the node's persistent peers and advertised address as the agent asks the sidecar to. The
// listeners a validator home enables are P2P (26656) and RPC (26657); the others stay disabled but are
// moved to ip too, so that turning one on cannot reach past the node's address. Two cannot be moved:
// the EVM HTTP and WebSocket servers always bind 0.0.0.0 (sei-chain evmrpc.LocalAddress), so they
// must stay off.
func configureOwnIP(t *testing.T, home, ip string, peers []string) {
	t.Helper()
	editConfig(t, home, "config/config.toml", []edit{
		{`(?m)^laddr = "tcp://127\.0\.0\.1:26657"$`, fmt.Sprintf(`laddr = "tcp://%s:26657"`, ip)}, // [rpc]
		{`(?m)^laddr = "tcp://127\.0\.0\.1:26656"$`, fmt.Sprintf(`laddr = "tcp://%s:26656"`, ip)}, // [p2p]
		{`(?m)^external-address = ""$`, fmt.Sprintf(`external-address = "%s:26656"`, ip)},
		{`(?m)^persistent-peers = .*$`, fmt.Sprintf(`persistent-peers = "%s"`, strings.Join(peers, ","))},
		{`(?m)^prometheus = false$`, `prometheus = false`},
		{`(?m)^prometheus-listen-addr = .*$`, fmt.Sprintf(`prometheus-listen-addr = "%s:26660"`, ip)},
		{`(?m)^pprof-laddr = ""$`, `pprof-laddr = ""`}, // empty: off
		{`(?m)^laddr = ""$`, `laddr = ""`},             // [priv-validator]: no remote signer
	})
	editConfig(t, home, "config/app.toml", []edit{
		{`(?m)^address = "tcp://0\.0\.0\.0:1317"$`, fmt.Sprintf(`address = "tcp://%s:1317"`, ip)}, // [api]
		{`(?m)^address = ":8080"$`, fmt.Sprintf(`address = "%s:8080"`, ip)},                       // [rosetta]
		{`(?m)^address = "0\.0\.0\.0:9090"$`, fmt.Sprintf(`address = "%s:9090"`, ip)},             // [grpc]
		{`(?m)^address = "0\.0\.0\.0:9091"$`, fmt.Sprintf(`address = "%s:9091"`, ip)},             // [grpc-web]
		{`(?m)^admin_address = .*$`, fmt.Sprintf(`admin_address = "%s:9095"`, ip)},                // loopback only
		{`(?m)^admin_enabled = .*$`, `admin_enabled = false`},
		{`(?m)^http_enabled = .*$`, `http_enabled = false`}, // [evm]: would bind 0.0.0.0:8545
		{`(?m)^ws_enabled = .*$`, `ws_enabled = false`},     // [evm]: would bind 0.0.0.0:8546
	})
}

type edit struct{ pattern, replacement string }

// editConfig applies edits to a file of home; each pattern must match exactly one line.
func editConfig(t *testing.T, home, rel string, edits []edit) {
	t.Helper()
	text := string(readFile(t, home, rel))
	for _, e := range edits {
		re := regexp.MustCompile(e.pattern)
		if n := len(re.FindAllStringIndex(text, -1)); n != 1 {
			t.Fatalf("%s: %d lines match %s, want 1", rel, n, e.pattern)
		}
		text = re.ReplaceAllLiteralString(text, e.replacement)
	}
	writeFile(t, home, rel, []byte(text), 0o644)
}

// listeners returns the addresses process pid listens on: TCP sockets in LISTEN state and unconnected
// UDP sockets, read from /proc (Linux).
func listeners(pid int) ([]string, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, fmt.Errorf("list sockets of %d: %w", pid, err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var out []string
	// TCP state 0A is LISTEN; UDP state 07 is an unconnected (bound) socket.
	for table, state := range map[string]string{"tcp": "0A", "tcp6": "0A", "udp": "07", "udp6": "07"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			return nil, fmt.Errorf("read sockets of %d: %w", pid, err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != state || !inodes[f[9]] {
				continue
			}
			addr, err := procAddr(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s socket %s of %d: %w", table, f[1], pid, err)
			}
			out = append(out, table[:3]+" "+addr)
		}
	}
	return out, nil
}

// procAddr decodes a /proc/net address: the IP as 32-bit words in host byte order, in hex, then
// ":" and the port in hex.
func procAddr(s string) (string, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", fmt.Errorf("bad address %q", s)
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return "", fmt.Errorf("bad port in %q: %w", s, err)
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10)), nil
}
