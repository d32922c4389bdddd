package gentx

import (
	"crypto/ed25519"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"unicode/utf8"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// Input is what `seid gentx` takes: the validator's description, self-bond,
// consensus public key and P2P endpoint.
type Input struct {
	ChainID         string
	Description     Description // Moniker is required
	SelfBond        Coin        // e.g. 10000000usei
	ConsensusPubKey ed25519.PublicKey
	NodeID          string // the node's P2P ID
	Host            string // the node's P2P host (IP or DNS name) in the memo
	P2PPort         int    // 0 means DefaultP2PPort

	// Commission defaults to DefaultCommission; MinSelfDelegation to 1.
	Commission        *CommissionRates
	MinSelfDelegation *big.Int
}

// Build makes the gentx `seid gentx` makes for in and signs it with key
// (SIGN_MODE_DIRECT, account number 0, sequence 0, gas 200000, no fee).
// Its JSON is byte-identical to seid's for the same inputs.
func Build(key seikeys.OperatorKey, in Input) (*Gentx, error) {
	g, err := build(key, in)
	if err != nil {
		return nil, fmt.Errorf("build gentx for %q: %w", in.Description.Moniker, err)
	}
	return g, nil
}

func build(key seikeys.OperatorKey, in Input) (*Gentx, error) {
	if key.PubKey() == nil {
		return nil, fmt.Errorf("no operator key")
	}
	if err := validateChainID(in.ChainID); err != nil {
		return nil, err
	}
	for _, s := range []string{in.Description.Moniker, in.Description.Identity, in.Description.Website,
		in.Description.SecurityContact, in.Description.Details, in.Host} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("text input is not valid UTF-8")
		}
	}
	port := in.P2PPort
	if port == 0 {
		port = DefaultP2PPort
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("p2p port %d out of range", port)
	}
	memo := in.NodeID + "@" + net.JoinHostPort(in.Host, strconv.Itoa(port))
	nodeID, p2p, err := SplitMemo(memo)
	if err != nil {
		return nil, err
	}
	commission := DefaultCommission()
	if in.Commission != nil {
		commission = *in.Commission
	}
	minSelf := big.NewInt(1)
	if in.MinSelfDelegation != nil {
		minSelf = new(big.Int).Set(in.MinSelfDelegation)
	}
	g := &Gentx{
		Description:       in.Description,
		Commission:        commission,
		MinSelfDelegation: minSelf,
		DelegatorAddress:  key.AccountAddress(),
		ValidatorAddress:  key.ValoperAddress(),
		ConsensusPubKey:   append(ed25519.PublicKey(nil), in.ConsensusPubKey...),
		SelfBond:          Coin{Denom: in.SelfBond.Denom, Amount: cloneInt(in.SelfBond.Amount)},
		Memo:              memo,
		NodeID:            nodeID,
		P2PAddress:        p2p,
		SignerPubKey:      key.PubKey(),
		Fee:               Fee{GasLimit: DefaultGasLimit},
	}
	if err := g.ValidateBasic(); err != nil {
		return nil, err
	}
	g.Signature = key.SignDirect(g.SignBytes(in.ChainID))
	return g, nil
}

func cloneInt(i *big.Int) *big.Int {
	if i == nil {
		return nil
	}
	return new(big.Int).Set(i)
}

// maxChainIDLen is Tendermint's chain ID limit.
const maxChainIDLen = 50

func validateChainID(id string) error {
	if id == "" || len(id) > maxChainIDLen {
		return fmt.Errorf("chain ID %q must have 1-%d characters", id, maxChainIDLen)
	}
	return nil
}
