package genesis

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"net"
	"strconv"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// Planned is a genesis validator whose gentx does not exist yet, because its
// keys are minted only once it is placed. What assembly checks of it is known
// without them: its moniker, its self-bond, the commission gentx.Build gives
// it, and its operator account's balance.
type Planned struct {
	Moniker  string
	SelfBond gentx.Coin
	// Balance is its operator account's genesis balance.
	Balance []gentx.Coin
}

// standInHost is the shortest host a planned validator's memo can carry, so
// a memo limit is checked as a lower bound.
const standInHost = "0.0.0.0"

// Check runs the checks Assemble runs, on in plus a stand-in gentx for each
// planned validator, and returns the error Assemble would return (prefixed
// "check genesis" rather than "assemble genesis"). in.Gentxs may be empty
// when planned is not. A ceremony checked this way before its validators are
// placed is refused before any key is minted.
//
// A stand-in has the planned validator's moniker, self-bond and balance, the
// default commission and a memo with the shortest possible host; its keys and
// addresses are derived from its moniker, so it collides with no real
// validator. What only the real keys decide (a minted consensus key equal to
// an external gentx's, the real memo's length) is left to Assemble.
func Check(in Input, planned []Planned) error {
	if _, err := assemble(in, planned); err != nil {
		return fmt.Errorf("check genesis for chain %q: %w", in.ChainID, err)
	}
	return nil
}

// standIns returns the stand-in gentxs of the planned validators and their
// accounts. They are not signed: assembly verifies signatures only of real
// gentxs.
func standIns(planned []Planned) ([]*gentx.Gentx, []Account, error) {
	txs := make([]*gentx.Gentx, 0, len(planned))
	accounts := make([]Account, 0, len(planned))
	for i, p := range planned {
		seed := sha256.Sum256([]byte("sei-fleet stand-in validator\x00" + strconv.Itoa(i) + "\x00" + p.Moniker))
		addr := seed[:seikeys.AddressLength]
		cons := sha256.Sum256(seed[:])
		nodeID := seikeys.NodeIDFromPubKey(cons[:])
		p2p := net.JoinHostPort(standInHost, strconv.Itoa(gentx.DefaultP2PPort))
		g := &gentx.Gentx{
			Description:       gentx.Description{Moniker: p.Moniker},
			Commission:        gentx.DefaultCommission(),
			MinSelfDelegation: big.NewInt(1),
			DelegatorAddress:  seikeys.AccAddress(addr),
			ValidatorAddress:  seikeys.ValoperAddress(addr),
			ConsensusPubKey:   cons[:],
			SelfBond:          gentx.Coin{Denom: p.SelfBond.Denom, Amount: p.SelfBond.Amount},
			Memo:              nodeID + "@" + p2p,
			NodeID:            nodeID,
			P2PAddress:        p2p,
			SignerPubKey:      make([]byte, seikeys.Secp256k1PubKeySize),
		}
		// What gentx.Build checks before it signs: the agent would fail here.
		if err := g.ValidateBasic(); err != nil {
			return nil, nil, fmt.Errorf("validator %q (keys not minted yet): %w", p.Moniker, err)
		}
		txs = append(txs, g)
		accounts = append(accounts, Account{Address: g.DelegatorAddress, Coins: p.Balance})
	}
	return txs, accounts, nil
}
