// Package genesis assembles a Sei genesis.json in pure Go from a template
// (the default genesis of `seid init`, embedded as template/genesis.json),
// signed gentxs, genesis accounts and parameter overrides, the way
// `seid add-genesis-account` + `seid collect-gentxs` + Sei's own tooling do,
// and validates the result before returning it.
//
// Output is deterministic: the same Input gives the same bytes, whatever the
// order of gentxs and accounts. JSON is handled as an ordered tree, so the
// template's key order and number formatting are kept, and the file is
// written like seid writes it (json.MarshalIndent, two spaces, no trailing
// newline).
//
// What Assemble writes:
//   - chain_id, genesis_time (RFC 3339 with nanoseconds, UTC, as Tendermint
//     writes it), initial_height "1"; app_state.epoch's genesis_time and
//     current_epoch_start_time are set to the genesis time as well (seid init
//     stamps them with its own clock).
//   - app_state.auth.accounts: a BaseAccount per new address, exactly as
//     `seid add-genesis-account` writes it (pub_key null, account_number 0),
//     sorted by address bytes after any accounts already in the template.
//   - app_state.bank.balances: merged per address (coins merged per denom,
//     sorted by denom), sorted by address bytes as bank's
//     SanitizeGenesisBalances does.
//   - app_state.bank.supply: the sum of all balances per denom. Sei's bank
//     accepts either an empty supply (it then computes it) or one equal to
//     that sum, both in ValidateGenesis (validate-genesis) and InitGenesis
//     (InitChain). We write the sum so the total supply is explicit in the
//     file and covered by its hash. When wei_balances is non-empty the supply
//     also depends on wei, so it is left empty for Sei to compute.
//   - app_state.evm.address_associations: for accounts given with their
//     public key (as seid does with a test keyring).
//   - app_state.genutil.gen_txs: the canonical JSON of each gentx, sorted by
//     node ID (the order collect-gentxs reads config/gentx/gentx-<nodeID>.json).
//   - validators (after consensus_params): {address, pub_key, power, name}
//     per gentx, power = self-bond / 10^6. Tendermint requires this list to
//     equal the staking module's InitChain result, and a network whose nodes
//     have fewer than two peers never leaves block sync without it.
//
// Overrides address a value by a dotted path from the root, which must start
// with app_state. or consensus_params.; numeric segments index arrays. Every
// segment but the last must exist; the last may be new only inside an
// existing object below a module (so a typo in a module name fails instead of
// adding a key Sei ignores). Paths that assembly owns (auth.accounts,
// bank.balances, bank.supply, genutil.gen_txs, or a parent of them) are
// rejected: use Input.Accounts and Input.Gentxs. Overrides are applied in
// order before accounts and gentxs are added, and the checks below read the
// parameters after overrides.
//
// Checks: every gentx parses and verifies for the chain ID; consensus keys,
// operators and node IDs are distinct; each power is > 0 and the total fits
// Tendermint's limit; the validator count is at most
// staking.params.max_validators; each self-bond is in the bond denom, at
// least min_commission_rate is respected, and the delegator's genesis
// balance covers the self-bond; the memo fits auth.params.max_memo_characters.
package genesis
