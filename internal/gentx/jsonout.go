package gentx

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// JSON returns the gentx as seid writes gentx.json: compact proto-JSON with
// original (snake_case) field names, every default emitted, uint64s and
// sdk.Int/Dec as strings, bytes as standard base64, Any as {"@type", …},
// strings escaped like encoding/json, and one trailing newline.
func (g *Gentx) JSON() []byte {
	w := &jsonWriter{}
	w.raw(`{"body":{"messages":[{"@type":`)
	w.str(TypeMsgCreateValidator)
	w.raw(`,"description":{"moniker":`)
	w.str(g.Description.Moniker)
	w.raw(`,"identity":`)
	w.str(g.Description.Identity)
	w.raw(`,"website":`)
	w.str(g.Description.Website)
	w.raw(`,"security_contact":`)
	w.str(g.Description.SecurityContact)
	w.raw(`,"details":`)
	w.str(g.Description.Details)
	w.raw(`},"commission":{"rate":`)
	w.str(g.Commission.Rate.String())
	w.raw(`,"max_rate":`)
	w.str(g.Commission.MaxRate.String())
	w.raw(`,"max_change_rate":`)
	w.str(g.Commission.MaxChangeRate.String())
	w.raw(`},"min_self_delegation":`)
	w.str(intText(g.MinSelfDelegation))
	w.raw(`,"delegator_address":`)
	w.str(g.DelegatorAddress)
	w.raw(`,"validator_address":`)
	w.str(g.ValidatorAddress)
	w.raw(`,"pubkey":{"@type":`)
	w.str(TypeEd25519PubKey)
	w.raw(`,"key":`)
	w.bytes(g.ConsensusPubKey)
	w.raw(`},"value":`)
	w.coin(g.SelfBond)
	w.raw(`}],"memo":`)
	w.str(g.Memo)
	w.raw(`,"timeout_height":`)
	w.uint(g.TimeoutHeight)
	w.raw(`,"extension_options":[],"non_critical_extension_options":[]},"auth_info":{"signer_infos":[{"public_key":{"@type":`)
	w.str(TypeSecp256k1PubKey)
	w.raw(`,"key":`)
	w.bytes(g.SignerPubKey)
	w.raw(`},"mode_info":{"single":{"mode":`)
	w.str(SignModeDirect)
	w.raw(`}},"sequence":`)
	w.uint(g.Sequence)
	w.raw(`}],"fee":{"amount":[`)
	for i, c := range g.Fee.Amount {
		if i > 0 {
			w.raw(",")
		}
		w.coin(c)
	}
	w.raw(`],"gas_limit":`)
	w.uint(g.Fee.GasLimit)
	w.raw(`,"payer":`)
	w.str(g.Fee.Payer)
	w.raw(`,"granter":`)
	w.str(g.Fee.Granter)
	w.raw(`,"gas_estimate":`)
	w.uint(g.Fee.GasEstimate)
	w.raw(`}},"signatures":[`)
	w.bytes(g.Signature)
	w.raw("]}\n")
	return w.b.Bytes()
}

type jsonWriter struct{ b bytes.Buffer }

func (w *jsonWriter) raw(s string) { w.b.WriteString(s) }

// str writes a JSON string exactly as encoding/json (and so gogo jsonpb) does.
func (w *jsonWriter) str(s string) {
	enc, err := json.Marshal(s)
	if err != nil { // cannot happen: strings always marshal
		w.b.WriteString(`""`)
		return
	}
	w.b.Write(enc)
}

func (w *jsonWriter) uint(v uint64) { w.str(strconv.FormatUint(v, 10)) }

func (w *jsonWriter) bytes(b []byte) { w.str(base64.StdEncoding.EncodeToString(b)) }

func (w *jsonWriter) coin(c Coin) {
	w.raw(`{"denom":`)
	w.str(c.Denom)
	w.raw(`,"amount":`)
	w.str(intText(c.Amount))
	w.raw(`}`)
}
