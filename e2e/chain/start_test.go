//go:build chain

package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// TestSingleValidatorChainProducesBlocks is the strongest check: seid runs
// InitChain on a natively assembled genesis, which re-encodes and verifies
// the gentx signature in the ante handler, compares the genesis validators
// list with the staking result, and checks the bank supply; then the node,
// using our key files, must sign blocks.
func TestSingleValidatorChainProducesBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; skipped with -short")
	}
	g := NewWithT(t)
	s := requireSeid(t)
	const chainID = "live-1"
	p2pPort, rpcPort := freePort(t), freePort(t)

	v := mintValidator(t, 0, chainID, p2pPort)
	res, err := genesis.Assemble(genesis.Input{
		ChainID:     chainID,
		GenesisTime: time.Now().UTC(),
		Gentxs:      [][]byte{v.gentx},
		Accounts:    []genesis.Account{v.account(true), extraAccount(t, "42usei", false)},
		Overrides: []genesis.Override{
			{Path: "app_state.staking.params.unbonding_time", Value: json.RawMessage(`"60s"`)},
		},
	})
	g.Expect(err).NotTo(HaveOccurred())

	home := initHome(t, s, chainID)
	writeFile(t, home, "config/genesis.json", res.Genesis, 0o644)
	writeFile(t, home, "config/priv_validator_key.json", v.cons.JSON(), 0o600)
	writeFile(t, home, "config/node_key.json", v.node.JSON(), 0o600)
	writeFile(t, home, "data/priv_validator_state.json", seikeys.InitialPrivValidatorStateJSON(), 0o600)
	configureNode(t, home, p2pPort, rpcPort, nil)

	logPath := filepath.Join(t.TempDir(), "seid.log")
	stop := startNode(t, s, home, logPath)
	defer stop()

	rpc := fmt.Sprintf("http://127.0.0.1:%d", rpcPort)
	var height int64
	deadline := time.Now().Add(90 * time.Second)
	for height < 3 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		height = latestHeight(t.Context(), rpc)
	}
	if height < 3 {
		t.Fatalf("chain did not reach height 3 (at %d); seid log tail:\n%s", height, tail(logPath, 40))
	}
	t.Logf("height %d reached", height)

	// The validator set at height 1 is exactly our genesis validator.
	var vals struct {
		Validators []struct {
			Address     string `json:"address"`
			VotingPower string `json:"voting_power"`
		} `json:"validators"`
	}
	g.Expect(getJSON(t.Context(), rpc+"/validators?height=1", &vals)).To(Succeed())
	g.Expect(vals.Validators).To(HaveLen(1))
	g.Expect(vals.Validators[0].Address).To(Equal(res.Validators[0].ConsensusAddress))
	g.Expect(vals.Validators[0].VotingPower).To(Equal(strconv.FormatInt(res.Validators[0].Power, 10)))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// configureNode moves the node's P2P and RPC listeners to the given
// 127.0.0.1 ports and sets its persistent peers (config.toml keys are
// hyphenated in Sei's Tendermint).
func configureNode(t *testing.T, home string, p2p, rpc int, peers []string) {
	t.Helper()
	cfg := string(readFile(t, home, "config/config.toml"))
	for _, r := range []struct{ from, to string }{
		{`(?m)^laddr = "tcp://127.0.0.1:26657"$`, fmt.Sprintf(`laddr = "tcp://127.0.0.1:%d"`, rpc)},
		{`(?m)^laddr = "tcp://127.0.0.1:26656"$`, fmt.Sprintf(`laddr = "tcp://127.0.0.1:%d"`, p2p)},
		{`(?m)^persistent-peers = .*$`, fmt.Sprintf(`persistent-peers = "%s"`, strings.Join(peers, ","))},
		{`(?m)^allow-duplicate-ip = .*$`, `allow-duplicate-ip = true`},
	} {
		re := regexp.MustCompile(r.from)
		if !re.MatchString(cfg) {
			t.Fatalf("config.toml has no line matching %s", r.from)
		}
		cfg = re.ReplaceAllString(cfg, r.to)
	}
	writeFile(t, home, "config/config.toml", []byte(cfg), 0o644)
}

// startNode runs `seid start` until the returned stop is called (or the
// test ends); output goes to logPath.
func startNode(t *testing.T, s Seid, home, logPath string) (stop func()) {
	t.Helper()
	_, stop = startNodeCmd(t, s, home, logPath, 3*time.Minute)
	return stop
}

// startNodeCmd is startNode with a bound on the process's life, and its command (for its pid).
func startNodeCmd(t *testing.T, s Seid, home, logPath string, limit time.Duration) (*exec.Cmd, func()) {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	cmd := exec.CommandContext(ctx, s.Path, "start", "--home", home)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	return cmd, func() {
		cancel()
		_ = cmd.Wait() // a signalled exit is expected
		_ = logFile.Close()
	}
}

func latestHeight(ctx context.Context, rpc string) int64 {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := getJSON(ctx, rpc+"/status", &st); err != nil {
		return 0
	}
	h, _ := strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
	return h
}

// getJSON fetches a Tendermint RPC result; it accepts both the bare result
// and the JSON-RPC envelope.
func getJSON(ctx context.Context, url string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	var env struct {
		Result json.RawMessage `json:"result"`
	}
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &env); err == nil && env.Result != nil {
		raw = env.Result
	}
	return json.Unmarshal(raw, into)
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
