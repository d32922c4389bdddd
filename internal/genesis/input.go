package genesis

import (
	"crypto/ed25519"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
)

//go:embed template/genesis.json
var defaultTemplate []byte

// DefaultTemplate returns the embedded `seid init` genesis (see
// hack/gen-genesis-template.sh).
func DefaultTemplate() []byte { return append([]byte(nil), defaultTemplate...) }

// Input is everything a genesis is assembled from.
type Input struct {
	ChainID     string
	GenesisTime time.Time
	// Gentxs are gentx.json files, as made by `seid gentx` or gentx.Build.
	Gentxs [][]byte
	// Accounts get a BaseAccount and a balance; repeated addresses merge.
	Accounts  []Account
	Overrides []Override
	// Template is a genesis.json to start from; nil means DefaultTemplate.
	Template []byte
}

// Account is a genesis account and its balance.
type Account struct {
	Address string // sei1…
	Coins   []gentx.Coin
	// PubKey, if set (33-byte compressed secp256k1), must belong to Address;
	// the account's EVM address association is then added to app_state.evm,
	// as `seid add-genesis-account` does when it can read the key.
	PubKey []byte
}

// Override sets the JSON value at a dotted path, e.g.
// {"app_state.staking.params.max_validators", `50`}.
type Override struct {
	Path  string
	Value json.RawMessage
}

// Result is an assembled genesis.
type Result struct {
	// Genesis is the genesis.json content.
	Genesis []byte
	// SHA256 is SHA256(Genesis) in lower-case hex.
	SHA256 string
	// Validators are the genesis validators, in gen_txs order.
	Validators []Validator
}

// Validator describes one genesis validator.
type Validator struct {
	Moniker          string
	AccountAddress   string // sei1…
	OperatorAddress  string // seivaloper1…
	ConsensusAddress string // upper-case hex, as in the validators list
	ConsensusPubKey  ed25519.PublicKey
	SelfBond         gentx.Coin
	Power            int64
	NodeID           string
	P2PAddress       string // host:port from the gentx memo
}

// PersistentPeers returns "nodeID@host:port" of every validator, sorted, as
// collect-gentxs writes into config.toml.
func (r *Result) PersistentPeers() []string {
	out := make([]string, 0, len(r.Validators))
	for _, v := range r.Validators {
		out = append(out, v.NodeID+"@"+v.P2PAddress)
	}
	sort.Strings(out)
	return out
}

// SHA256 returns the lower-case hex SHA-256 of a genesis file, the hash
// nodes and operators compare.
func SHA256(genesis []byte) string {
	sum := sha256.Sum256(genesis)
	return hex.EncodeToString(sum[:])
}
