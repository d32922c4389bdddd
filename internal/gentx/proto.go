package gentx

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// This file writes the gogoproto canonical encoding of the parts of a Tx that
// the signature covers. At genesis, DeliverGenTxs JSON-decodes each gentx and
// re-encodes it with gogoproto before the ante handler checks the signature,
// so these exact bytes are what gets verified. Rules: fields
// in field-number order; proto3 scalars omitted when zero or empty;
// non-nullable sub-messages (description, commission, value) and sdk.Int/Dec
// custom types always written; sdk.Dec as its 10^18-scaled integer text.

// signModeDirect is SignMode SIGN_MODE_DIRECT.
const signModeDirect = 1

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendString writes a proto3 string, omitted when empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendBytesField(b, num, []byte(s))
}

// appendAlways writes a string field even when empty (custom types).
func appendAlways(b []byte, num protowire.Number, s string) []byte {
	return appendBytesField(b, num, []byte(s))
}

// appendUint writes a proto3 uint64/enum, omitted when zero.
func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendAny writes google.protobuf.Any{type_url, value}.
func appendAny(b []byte, num protowire.Number, typeURL string, value []byte) []byte {
	var a []byte
	a = appendString(a, 1, typeURL)
	if len(value) > 0 {
		a = appendBytesField(a, 2, value)
	}
	return appendBytesField(b, num, a)
}

// pubKeyMsg is cosmos.crypto.{ed25519,secp256k1}.PubKey{key}.
func pubKeyMsg(key []byte) []byte {
	if len(key) == 0 {
		return nil
	}
	return appendBytesField(nil, 1, key)
}

// coinMsg is cosmos.base.v1beta1.Coin: denom omitted if empty, amount always.
func coinMsg(c Coin) []byte {
	var b []byte
	b = appendString(b, 1, c.Denom)
	return appendAlways(b, 2, intText(c.Amount))
}

func (g *Gentx) msgBytes() []byte {
	var d []byte
	d = appendString(d, 1, g.Description.Moniker)
	d = appendString(d, 2, g.Description.Identity)
	d = appendString(d, 3, g.Description.Website)
	d = appendString(d, 4, g.Description.SecurityContact)
	d = appendString(d, 5, g.Description.Details)

	var c []byte
	c = appendAlways(c, 1, g.Commission.Rate.wireText())
	c = appendAlways(c, 2, g.Commission.MaxRate.wireText())
	c = appendAlways(c, 3, g.Commission.MaxChangeRate.wireText())

	var m []byte
	m = appendBytesField(m, 1, d)
	m = appendBytesField(m, 2, c)
	m = appendAlways(m, 3, intText(g.MinSelfDelegation))
	m = appendString(m, 4, g.DelegatorAddress)
	m = appendString(m, 5, g.ValidatorAddress)
	m = appendAny(m, 6, TypeEd25519PubKey, pubKeyMsg(g.ConsensusPubKey))
	m = appendBytesField(m, 7, coinMsg(g.SelfBond))
	return m
}

// BodyBytes returns the canonical TxBody encoding.
func (g *Gentx) BodyBytes() []byte {
	var b []byte
	b = appendAny(b, 1, TypeMsgCreateValidator, g.msgBytes())
	b = appendString(b, 2, g.Memo)
	return appendUint(b, 3, g.TimeoutHeight)
}

// AuthInfoBytes returns the canonical AuthInfo encoding.
func (g *Gentx) AuthInfoBytes() []byte {
	single := appendUint(nil, 1, signModeDirect)
	mode := appendBytesField(nil, 1, single)

	var si []byte
	si = appendAny(si, 1, TypeSecp256k1PubKey, pubKeyMsg(g.SignerPubKey))
	si = appendBytesField(si, 2, mode)
	si = appendUint(si, 3, g.Sequence)

	var fee []byte
	for _, c := range g.Fee.Amount {
		fee = appendBytesField(fee, 1, coinMsg(c))
	}
	fee = appendUint(fee, 2, g.Fee.GasLimit)
	fee = appendString(fee, 3, g.Fee.Payer)
	fee = appendString(fee, 4, g.Fee.Granter)
	fee = appendUint(fee, 5, g.Fee.GasEstimate)

	var a []byte
	a = appendBytesField(a, 1, si)
	return appendBytesField(a, 2, fee)
}

// SignBytes returns the SIGN_MODE_DIRECT sign bytes: SignDoc{body, auth
// info, chain ID, account number 0} (every genesis account signs with 0).
func (g *Gentx) SignBytes(chainID string) []byte {
	var b []byte
	b = appendBytesField(b, 1, g.BodyBytes())
	b = appendBytesField(b, 2, g.AuthInfoBytes())
	return appendString(b, 3, chainID)
}

// TxBytes returns the TxRaw encoding (what InitChain delivers and hashes).
func (g *Gentx) TxBytes() []byte {
	var b []byte
	b = appendBytesField(b, 1, g.BodyBytes())
	b = appendBytesField(b, 2, g.AuthInfoBytes())
	return appendBytesField(b, 3, g.Signature)
}
