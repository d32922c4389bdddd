package gentx

import (
	"crypto/ed25519"
	"math/big"
)

// Type URLs inside a gentx.
const (
	TypeMsgCreateValidator = "/cosmos.staking.v1beta1.MsgCreateValidator"
	TypeEd25519PubKey      = "/cosmos.crypto.ed25519.PubKey"
	TypeSecp256k1PubKey    = "/cosmos.crypto.secp256k1.PubKey"
	SignModeDirect         = "SIGN_MODE_DIRECT"
)

// Defaults `seid gentx` uses.
const (
	DefaultP2PPort  = 26656
	DefaultGasLimit = 200000
)

// Default commission rates of `seid gentx` (x/staking/client/cli).
var (
	DefaultCommissionRate          = mustDec("0.1")
	DefaultCommissionMaxRate       = mustDec("0.2")
	DefaultCommissionMaxChangeRate = mustDec("0.01")
)

// Gentx is a parsed genesis transaction: one MsgCreateValidator plus the
// transaction envelope around it.
type Gentx struct {
	// MsgCreateValidator.
	Description       Description
	Commission        CommissionRates
	MinSelfDelegation *big.Int
	DelegatorAddress  string // sei1…
	ValidatorAddress  string // seivaloper1…, same bytes as DelegatorAddress
	ConsensusPubKey   ed25519.PublicKey
	SelfBond          Coin // MsgCreateValidator.value

	// Body.
	Memo          string // "<nodeID>@<host>:<port>"
	TimeoutHeight uint64
	NodeID        string // from Memo
	P2PAddress    string // "<host>:<port>" from Memo

	// Auth info and signature.
	SignerPubKey []byte // 33-byte compressed secp256k1
	Sequence     uint64
	Fee          Fee
	Signature    []byte // 64-byte R||S
}

// Moniker returns the validator's moniker.
func (g *Gentx) Moniker() string { return g.Description.Moniker }

// Description is the validator description (staking.v1beta1.Description).
type Description struct {
	Moniker         string
	Identity        string
	Website         string
	SecurityContact string
	Details         string
}

// CommissionRates are the validator's commission parameters.
type CommissionRates struct {
	Rate          Dec
	MaxRate       Dec
	MaxChangeRate Dec
}

// DefaultCommission returns seid's default rates 0.10 / 0.20 / 0.01.
func DefaultCommission() CommissionRates {
	return CommissionRates{Rate: DefaultCommissionRate, MaxRate: DefaultCommissionMaxRate,
		MaxChangeRate: DefaultCommissionMaxChangeRate}
}

// Fee is the transaction fee (Sei's Fee has an extra gas_estimate).
type Fee struct {
	Amount      []Coin
	GasLimit    uint64
	Payer       string
	Granter     string
	GasEstimate uint64
}
