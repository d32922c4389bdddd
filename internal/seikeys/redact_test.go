package seikeys

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// TestKeysNeverPrintSecrets formats each key type every way a caller might and
// checks that no encoding of the private key (or the mnemonic) shows up.
func TestKeysNeverPrintSecrets(t *testing.T) {
	v := loadVector(t, "one")
	ck, err := ParseConsensusKey(v.pvKey)
	if err != nil {
		t.Fatal(err)
	}
	nk, err := ParseNodeKey(v.nodeKey)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := OperatorKeyFromMnemonic(v.mnemonic)
	if err != nil {
		t.Fatal(err)
	}
	opPriv := ok.s.priv.Serialize()

	type holder struct {
		Exported   ConsensusKey
		unexported NodeKey
		op         OperatorKey
	}
	h := holder{Exported: ck, unexported: nk, op: ok}

	tests := []struct {
		name    string
		value   any
		secrets [][]byte
		public  string
	}{
		{"consensus", ck, [][]byte{ck.s.priv(), ck.s.priv().Seed()}, ck.AddressHex()},
		{"consensus pointer", &ck, [][]byte{ck.s.priv().Seed()}, ck.AddressHex()},
		{"node", nk, [][]byte{nk.s.priv(), nk.s.priv().Seed()}, nk.ID()},
		{"operator", ok, [][]byte{opPriv}, ok.AccountAddress()},
		{"holder", h, [][]byte{ck.s.priv().Seed(), nk.s.priv().Seed(), opPriv}, ck.AddressHex()},
		{"slice", []any{ck, nk, ok}, [][]byte{ck.s.priv().Seed(), nk.s.priv().Seed(), opPriv}, ok.AccountAddress()},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var outs []string
			for _, verb := range verbs {
				outs = append(outs, fmt.Sprintf(verb, tc.value))
			}
			outs = append(outs, fmt.Sprint(tc.value), fmt.Sprintln(tc.value))
			js, err := json.Marshal(tc.value)
			g.Expect(err).NotTo(HaveOccurred())
			outs = append(outs, string(js))
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("key", "k", tc.value)
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("key", "k", tc.value)
			outs = append(outs, buf.String())

			all := strings.Join(outs, "\n")
			for _, s := range tc.secrets {
				for _, enc := range encodings(s) {
					g.Expect(all).NotTo(ContainSubstring(enc))
				}
			}
			g.Expect(all).NotTo(ContainSubstring("abandon"))
			if tc.name != "holder" {
				g.Expect(outs[0]).To(ContainSubstring(tc.public), "the public part is printed")
			}
		})
	}
}

// encodings lists ways a secret could appear in text: hex, base64, Go's
// byte-slice syntax and a decimal byte list.
func encodings(b []byte) []string {
	dec := make([]string, len(b))
	for i, c := range b {
		dec[i] = strconv.Itoa(int(c))
	}
	return []string{
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b),
		base64.StdEncoding.EncodeToString(b)[:20],
		strings.Join(dec, " "),
		fmt.Sprintf("%#v", b)[:30],
	}
}
