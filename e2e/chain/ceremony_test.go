//go:build chain

package chain

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// validator is a natively minted genesis validator.
type validator struct {
	op    seikeys.OperatorKey
	cons  seikeys.ConsensusKey
	node  seikeys.NodeKey
	gentx []byte
}

// mintValidator makes fresh random keys and a signed gentx bonding 10 SEI.
func mintValidator(t *testing.T, i int, chainID string, p2pPort int) validator {
	t.Helper()
	mnemonic, err := seikeys.NewMnemonic(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var v validator
	if v.op, err = seikeys.OperatorKeyFromMnemonic(mnemonic); err != nil {
		t.Fatal(err)
	}
	if v.cons, err = seikeys.GenerateConsensusKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if v.node, err = seikeys.GenerateNodeKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	g, err := gentx.Build(v.op, gentx.Input{
		ChainID:         chainID,
		Description:     gentx.Description{Moniker: fmt.Sprintf("native-%d", i)},
		SelfBond:        gentx.NewCoin("usei", 10_000_000),
		ConsensusPubKey: v.cons.PubKey(),
		NodeID:          v.node.ID(),
		Host:            "127.0.0.1",
		P2PPort:         p2pPort,
	})
	if err != nil {
		t.Fatal(err)
	}
	v.gentx = g.JSON()
	return v
}

// account funds v's operator with 1000 SEI; withKey adds its EVM association.
func (v validator) account(withKey bool) genesis.Account {
	a := genesis.Account{Address: v.op.AccountAddress(), Coins: []gentx.Coin{gentx.NewCoin("usei", 1_000_000_000)}}
	if withKey {
		a.PubKey = v.op.PubKey()
	}
	return a
}

// extraAccount is a funded non-validator account.
func extraAccount(t *testing.T, coins string, withKey bool) genesis.Account {
	t.Helper()
	mnemonic, err := seikeys.NewMnemonic(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := seikeys.OperatorKeyFromMnemonic(mnemonic)
	if err != nil {
		t.Fatal(err)
	}
	c, err := gentx.ParseCoins(coins)
	if err != nil {
		t.Fatal(err)
	}
	a := genesis.Account{Address: key.AccountAddress(), Coins: c}
	if withKey {
		a.PubKey = key.PubKey()
	}
	return a
}
