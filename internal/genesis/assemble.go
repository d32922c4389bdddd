package genesis

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// maxChainIDLen is Tendermint's chain ID limit.
const maxChainIDLen = 50

// Assemble builds and validates a genesis (see the package doc for what it
// writes and checks).
func Assemble(in Input) (*Result, error) {
	res, err := assemble(in, nil)
	if err != nil {
		return nil, fmt.Errorf("assemble genesis for chain %q: %w", in.ChainID, err)
	}
	return res, nil
}

// assemble builds and checks the genesis of in, with stand-ins for the
// planned validators (see Check).
func assemble(in Input, planned []Planned) (*Result, error) {
	if in.ChainID == "" || len(in.ChainID) > maxChainIDLen {
		return nil, fmt.Errorf("chain ID must have 1-%d characters", maxChainIDLen)
	}
	if in.GenesisTime.IsZero() {
		return nil, fmt.Errorf("genesis time is not set")
	}
	tpl := in.Template
	if tpl == nil {
		tpl = defaultTemplate
	}
	root, err := parseJSON(tpl)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	appState := root.get("app_state")
	if root.kind != objectNode || appState == nil || appState.kind != objectNode {
		return nil, fmt.Errorf("template has no app_state object")
	}

	setHeader(root, in.ChainID, in.GenesisTime)
	for _, o := range in.Overrides {
		if err := applyOverride(root, o); err != nil {
			return nil, err
		}
	}
	p, err := readParams(root)
	if err != nil {
		return nil, err
	}
	standIns, standInAccounts, err := standIns(planned)
	if err != nil {
		return nil, err
	}
	vals, err := parseGentxs(in.Gentxs, standIns, in.ChainID, p)
	if err != nil {
		return nil, err
	}
	balances, err := addAccounts(root, append(slices.Clone(in.Accounts), standInAccounts...))
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		have := balances.amountOf(v.val.AccountAddress, p.bondDenom)
		if have.Cmp(v.val.SelfBond.Amount) < 0 {
			return nil, fmt.Errorf("validator %s: %s has %s%s in genesis, less than its self-bond %s",
				v.label(), v.accountLabel(), have, p.bondDenom, v.val.SelfBond)
		}
	}
	if err := setGentxs(root, vals); err != nil {
		return nil, err
	}

	out := root.indented()
	res := &Result{Genesis: out, SHA256: SHA256(out)}
	for _, v := range vals {
		res.Validators = append(res.Validators, v.val)
	}
	return res, nil
}

// setHeader sets chain_id, genesis_time, initial_height and the epoch
// module's start times.
func setHeader(root *node, chainID string, t time.Time) {
	ts := strNode(t.UTC().Format(time.RFC3339Nano))
	root.set("genesis_time", ts)
	root.set("chain_id", strNode(chainID))
	root.set("initial_height", strNode("1"))
	if epoch := root.lookup("app_state", "epoch", "epoch"); epoch != nil && epoch.kind == objectNode {
		epoch.set("genesis_time", ts)
		epoch.set("current_epoch_start_time", ts)
	}
}

// addAccounts adds in's accounts to auth.accounts, bank.balances and
// bank.supply, and returns all balances.
func addAccounts(root *node, accounts []Account) (*balanceSet, error) {
	authAccounts := root.lookup("app_state", "auth", "accounts")
	bank := root.lookup("app_state", "bank")
	balNode := bank.get("balances")
	if authAccounts == nil || authAccounts.kind != arrayNode || balNode == nil || balNode.kind != arrayNode {
		return nil, fmt.Errorf("template lacks app_state.auth.accounts or app_state.bank.balances arrays")
	}
	balances := newBalanceSet()
	if err := readBalances(balNode, balances); err != nil {
		return nil, err
	}
	existing := map[string]bool{}
	for _, a := range authAccounts.elems {
		existing[accountAddress(a)] = true
	}

	newAddrs := map[string][]byte{}
	var assoc []*node
	assocSeen := map[string]bool{}
	for _, a := range accounts {
		raw, err := decodeAccount(a.Address)
		if err != nil {
			return nil, fmt.Errorf("genesis account: %w", err)
		}
		coins, err := gentx.NormalizeCoins(a.Coins)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.Address, err)
		}
		balances.add(a.Address, raw, coins)
		if !existing[a.Address] {
			newAddrs[a.Address] = raw
		}
		if a.PubKey != nil && !assocSeen[a.Address] {
			n, err := associationNode(a)
			if err != nil {
				return nil, err
			}
			assoc = append(assoc, n)
			assocSeen[a.Address] = true
		}
	}

	for _, addr := range sortedByBytes(newAddrs) {
		authAccounts.elems = append(authAccounts.elems, baseAccountNode(addr))
	}
	bank.set("balances", balances.balancesNode())
	if wei := bank.get("wei_balances"); wei != nil && len(wei.elems) > 0 {
		bank.set("supply", arrNode()) // Sei adds wei to the supply itself
	} else {
		bank.set("supply", coinsNode(balances.supply()))
	}
	if len(assoc) > 0 {
		list := root.lookup("app_state", "evm", "address_associations")
		if list == nil || list.kind != arrayNode {
			return nil, fmt.Errorf("template lacks app_state.evm.address_associations")
		}
		for _, n := range assoc {
			addr, _ := n.get("sei_address").stringValue()
			for _, e := range list.elems {
				if s, _ := e.get("sei_address").stringValue(); s == addr {
					return nil, fmt.Errorf("account %s already has an EVM address association", addr)
				}
			}
		}
		list.elems = append(list.elems, assoc...)
	}
	return balances, nil
}

// associationNode is an evm AddressAssociation for an account with a key.
func associationNode(a Account) (*node, error) {
	raw, err := decodeAccount(a.Address)
	if err != nil || !bytes.Equal(seikeys.Secp256k1Address(a.PubKey), raw) {
		return nil, fmt.Errorf("account %s: public key does not belong to the address", a.Address)
	}
	evm, err := seikeys.EVMAddressFromCompressed(a.PubKey)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.Address, err)
	}
	return objNode(
		member{"sei_address", strNode(a.Address)},
		member{"eth_address", strNode(evm)},
	), nil
}

func sortedByBytes(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(m[out[i]], m[out[j]]) < 0 })
	return out
}

// setGentxs writes genutil.gen_txs and the top-level validators list.
func setGentxs(root *node, vals []genValidator) error {
	genutil := root.lookup("app_state", "genutil")
	if genutil == nil || genutil.kind != objectNode {
		return fmt.Errorf("template lacks app_state.genutil")
	}
	if old := genutil.get("gen_txs"); old != nil && len(old.elems) > 0 {
		return fmt.Errorf("template already has gen_txs; pass them in Input.Gentxs instead")
	}
	txs := arrNode()
	for _, v := range vals {
		n, err := parseJSON(v.tx.JSON())
		if err != nil {
			return fmt.Errorf("re-read gentx of %q: %w", v.val.Moniker, err)
		}
		txs.elems = append(txs.elems, n)
	}
	genutil.set("gen_txs", txs)
	if old := root.get("validators"); old != nil && len(old.elems) > 0 {
		return fmt.Errorf("template already has validators")
	}
	root.insertAfter("consensus_params", "validators", validatorsNode(vals))
	return nil
}
