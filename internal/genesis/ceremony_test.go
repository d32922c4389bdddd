package genesis

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// detReader is a deterministic byte stream (SHA-256 in counter mode) so that
// tests and benchmarks mint the same keys on every run.
type detReader struct {
	seed uint64
	ctr  uint64
	buf  []byte
}

func (r *detReader) Read(p []byte) (int, error) {
	for n := 0; n < len(p); {
		if len(r.buf) == 0 {
			var in [16]byte
			binary.BigEndian.PutUint64(in[:8], r.seed)
			binary.BigEndian.PutUint64(in[8:], r.ctr)
			r.ctr++
			sum := sha256.Sum256(in[:])
			r.buf = sum[:]
		}
		c := copy(p[n:], r.buf)
		r.buf = r.buf[c:]
		n += c
	}
	return len(p), nil
}

// minted is a natively minted validator: keys, signed gentx and account.
type minted struct {
	op      seikeys.OperatorKey
	cons    seikeys.ConsensusKey
	node    seikeys.NodeKey
	gentx   []byte
	account Account
}

// mint makes validator i: keys from a deterministic stream, a gentx bonding
// bond, and an account holding balance.
func mint(tb testing.TB, i int, chainID, bond, balance string) minted {
	tb.Helper()
	r := &detReader{seed: uint64(i)}
	m, err := seikeys.NewMnemonic(r)
	if err != nil {
		tb.Fatal(err)
	}
	var v minted
	if v.op, err = seikeys.OperatorKeyFromMnemonic(m); err != nil {
		tb.Fatal(err)
	}
	if v.cons, err = seikeys.GenerateConsensusKey(r); err != nil {
		tb.Fatal(err)
	}
	if v.node, err = seikeys.GenerateNodeKey(r); err != nil {
		tb.Fatal(err)
	}
	bondCoin, err := gentx.ParseCoin(bond)
	if err != nil {
		tb.Fatal(err)
	}
	g, err := gentx.Build(v.op, gentx.Input{
		ChainID:         chainID,
		Description:     gentx.Description{Moniker: fmt.Sprintf("val-%d", i)},
		SelfBond:        bondCoin,
		ConsensusPubKey: v.cons.PubKey(),
		NodeID:          v.node.ID(),
		Host:            "127.0.0.1",
		P2PPort:         26656 + 10*i,
	})
	if err != nil {
		tb.Fatal(err)
	}
	v.gentx = g.JSON()
	coins, err := gentx.ParseCoins(balance)
	if err != nil {
		tb.Fatal(err)
	}
	v.account = Account{Address: v.op.AccountAddress(), Coins: coins}
	return v
}

// ceremony mints n validators and returns an Input assembling them.
func ceremony(tb testing.TB, n int, chainID string) (Input, []minted) {
	tb.Helper()
	in := Input{ChainID: chainID, GenesisTime: testTime}
	vals := make([]minted, n)
	for i := range vals {
		vals[i] = mint(tb, i, chainID, "10000000usei", "100000000000usei")
		in.Gentxs = append(in.Gentxs, vals[i].gentx)
		in.Accounts = append(in.Accounts, vals[i].account)
	}
	return in, vals
}
