package gentx

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// maxGentxSize bounds the input; real gentxs are about 1.2 KB.
const maxGentxSize = 64 << 10

// Parse reads a gentx.json. It checks structure only (one
// MsgCreateValidator, one secp256k1 signer in SIGN_MODE_DIRECT, key sizes,
// a "<nodeID>@<host>:<port>" memo); Verify checks the content and signature.
func Parse(data []byte) (*Gentx, error) {
	g, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse gentx: %w", err)
	}
	return g, nil
}

func parse(data []byte) (*Gentx, error) {
	if len(data) > maxGentxSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), maxGentxSize)
	}
	top, err := readObject(data, "", "body", "auth_info", "signatures")
	if err != nil {
		return nil, err
	}
	g := &Gentx{}
	if err := g.parseBody(top["body"]); err != nil {
		return nil, err
	}
	if err := g.parseAuthInfo(top["auth_info"]); err != nil {
		return nil, err
	}
	sigs, err := readArray(top["signatures"], "signatures")
	if err != nil {
		return nil, err
	}
	if len(sigs) != 1 {
		return nil, fmt.Errorf("signatures: %d entries, want exactly 1", len(sigs))
	}
	if g.Signature, err = readBytes(sigs[0], "signatures[0]"); err != nil {
		return nil, err
	}
	if g.NodeID, g.P2PAddress, err = SplitMemo(g.Memo); err != nil {
		return nil, fmt.Errorf("body.memo: %w", err)
	}
	return g, nil
}

func (g *Gentx) parseBody(raw json.RawMessage) error {
	if raw == nil {
		return fmt.Errorf("body: missing")
	}
	body, err := readObject(raw, "body", "messages", "memo", "timeout_height",
		"extension_options", "non_critical_extension_options")
	if err != nil {
		return err
	}
	msgs, err := readArray(body["messages"], "body.messages")
	if err != nil {
		return err
	}
	if len(msgs) != 1 {
		return fmt.Errorf("body.messages: %d messages, want exactly 1 MsgCreateValidator", len(msgs))
	}
	if err := g.parseMsg(msgs[0]); err != nil {
		return err
	}
	if g.Memo, err = readString(body["memo"], "body.memo"); err != nil {
		return err
	}
	if g.TimeoutHeight, err = readUint(body["timeout_height"], "body.timeout_height"); err != nil {
		return err
	}
	for _, k := range []string{"extension_options", "non_critical_extension_options"} {
		opts, err := readArray(body[k], "body."+k)
		if err != nil {
			return err
		}
		if len(opts) > 0 {
			return fmt.Errorf("body.%s: extension options are not supported in a gentx", k)
		}
	}
	return nil
}

func (g *Gentx) parseMsg(raw json.RawMessage) error {
	const p = "body.messages[0]"
	m, err := readObject(raw, p, "@type", "description", "commission", "min_self_delegation",
		"delegator_address", "validator_address", "pubkey", "value")
	if err != nil {
		return err
	}
	if t, err := readString(m["@type"], p+".@type"); err != nil {
		return err
	} else if t != TypeMsgCreateValidator {
		return fmt.Errorf("%s.@type: %q, want %q", p, t, TypeMsgCreateValidator)
	}
	if err := g.parseDescription(m["description"], p+".description"); err != nil {
		return err
	}
	if err := g.parseCommission(m["commission"], p+".commission"); err != nil {
		return err
	}
	if g.MinSelfDelegation, err = readInt(m["min_self_delegation"], p+".min_self_delegation"); err != nil {
		return err
	}
	if g.DelegatorAddress, err = readString(m["delegator_address"], p+".delegator_address"); err != nil {
		return err
	}
	if g.ValidatorAddress, err = readString(m["validator_address"], p+".validator_address"); err != nil {
		return err
	}
	pub, err := readPubKeyAny(m["pubkey"], p+".pubkey", TypeEd25519PubKey, ed25519.PublicKeySize)
	if err != nil {
		return err
	}
	g.ConsensusPubKey = pub
	g.SelfBond, err = readCoin(m["value"], p+".value")
	return err
}

func (g *Gentx) parseDescription(raw json.RawMessage, p string) error {
	if raw == nil {
		return nil
	}
	m, err := readObject(raw, p, "moniker", "identity", "website", "security_contact", "details")
	if err != nil {
		return err
	}
	for key, dst := range map[string]*string{
		"moniker": &g.Description.Moniker, "identity": &g.Description.Identity, "website": &g.Description.Website,
		"security_contact": &g.Description.SecurityContact, "details": &g.Description.Details,
	} {
		if *dst, err = readString(m[key], p+"."+key); err != nil {
			return err
		}
	}
	return nil
}

func (g *Gentx) parseCommission(raw json.RawMessage, p string) error {
	if raw == nil {
		return nil
	}
	m, err := readObject(raw, p, "rate", "max_rate", "max_change_rate")
	if err != nil {
		return err
	}
	for key, dst := range map[string]*Dec{
		"rate": &g.Commission.Rate, "max_rate": &g.Commission.MaxRate, "max_change_rate": &g.Commission.MaxChangeRate,
	} {
		if *dst, err = readDec(m[key], p+"."+key); err != nil {
			return err
		}
	}
	return nil
}

func (g *Gentx) parseAuthInfo(raw json.RawMessage) error {
	if raw == nil {
		return fmt.Errorf("auth_info: missing")
	}
	ai, err := readObject(raw, "auth_info", "signer_infos", "fee")
	if err != nil {
		return err
	}
	sis, err := readArray(ai["signer_infos"], "auth_info.signer_infos")
	if err != nil {
		return err
	}
	if len(sis) != 1 {
		return fmt.Errorf("auth_info.signer_infos: %d signers, want exactly 1", len(sis))
	}
	const sp = "auth_info.signer_infos[0]"
	si, err := readObject(sis[0], sp, "public_key", "mode_info", "sequence")
	if err != nil {
		return err
	}
	if g.SignerPubKey, err = readPubKeyAny(si["public_key"], sp+".public_key", TypeSecp256k1PubKey,
		seikeys.Secp256k1PubKeySize); err != nil {
		return err
	}
	if err := readModeInfo(si["mode_info"], sp+".mode_info"); err != nil {
		return err
	}
	if g.Sequence, err = readUint(si["sequence"], sp+".sequence"); err != nil {
		return err
	}
	return g.parseFee(ai["fee"])
}

func readModeInfo(raw json.RawMessage, p string) error {
	if raw == nil {
		return fmt.Errorf("%s: missing", p)
	}
	mi, err := readObject(raw, p, "single", "multi")
	if err != nil {
		return err
	}
	if mi["single"] == nil {
		return fmt.Errorf("%s: want a single signer mode", p)
	}
	single, err := readObject(mi["single"], p+".single", "mode")
	if err != nil {
		return err
	}
	mode := string(single["mode"])
	if mode != `"`+SignModeDirect+`"` && mode != "1" {
		return fmt.Errorf("%s.single.mode: %s, want %s", p, mode, SignModeDirect)
	}
	if mi["multi"] != nil {
		return fmt.Errorf("%s: both single and multi set", p)
	}
	return nil
}

func (g *Gentx) parseFee(raw json.RawMessage) error {
	const p = "auth_info.fee"
	if raw == nil {
		return fmt.Errorf("%s: missing", p)
	}
	f, err := readObject(raw, p, "amount", "gas_limit", "payer", "granter", "gas_estimate")
	if err != nil {
		return err
	}
	coins, err := readArray(f["amount"], p+".amount")
	if err != nil {
		return err
	}
	for i, c := range coins {
		coin, err := readCoin(c, p+".amount["+strconv.Itoa(i)+"]")
		if err != nil {
			return err
		}
		g.Fee.Amount = append(g.Fee.Amount, coin)
	}
	if g.Fee.GasLimit, err = readUint(f["gas_limit"], p+".gas_limit"); err != nil {
		return err
	}
	if g.Fee.Payer, err = readString(f["payer"], p+".payer"); err != nil {
		return err
	}
	if g.Fee.Granter, err = readString(f["granter"], p+".granter"); err != nil {
		return err
	}
	g.Fee.GasEstimate, err = readUint(f["gas_estimate"], p+".gas_estimate")
	return err
}

// SplitMemo splits a gentx memo "<nodeID>@<host>:<port>" into the node ID
// and "<host>:<port>".
func SplitMemo(memo string) (nodeID, p2pAddress string, err error) {
	id, addr, ok := strings.Cut(memo, "@")
	if !ok {
		return "", "", fmt.Errorf("memo %q: want <nodeID>@<host>:<port>", memo)
	}
	if !seikeys.IsNodeID(id) {
		return "", "", fmt.Errorf("memo %q: node ID must be 40 lower-case hex digits", memo)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("memo %q: %w", memo, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", "", fmt.Errorf("memo %q: port must be 1-65535", memo)
	}
	if host == "" || strings.ContainsAny(host, " \t\r\n@/") {
		return "", "", fmt.Errorf("memo %q: bad host", memo)
	}
	return id, addr, nil
}
