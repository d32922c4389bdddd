package genesis

import (
	"encoding/json"
	"reflect"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseJSONKeepsOrderAndText(t *testing.T) {
	g := NewWithT(t)
	in := `{"z":1.50,"a":{"y":[1,"two",null,true,{}],"x":"\u00e9\"\\"},"m":[],"e":1e3}`
	n, err := parseJSON([]byte(in))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(n.compact())).To(Equal(`{"z":1.50,"a":{"y":[1,"two",null,true,{}],"x":"\u00e9\"\\"},"m":[],"e":1e3}`))
	g.Expect(string(n.indented())).To(Equal("{\n  \"z\": 1.50,\n  \"a\": {\n    \"y\": [\n      1,\n      \"two\",\n" +
		"      null,\n      true,\n      {}\n    ],\n    \"x\": \"\\u00e9\\\"\\\\\"\n  },\n  \"m\": [],\n  \"e\": 1e3\n}"))

	n.insertAfter("z", "new", strNode("v"))
	n.insertAfter("missing", "last", rawNode("0"))
	n.insertAfter("z", "a", rawNode("2"))
	g.Expect(string(n.compact())).To(Equal(`{"z":1.50,"new":"v","a":2,"m":[],"e":1e3,"last":0}`))

	for _, bad := range []string{``, `{`, `{"a":1,"a":2}`, `[1,]`, `nul`} {
		_, err := parseJSON([]byte(bad))
		g.Expect(err).To(HaveOccurred(), bad)
	}
}

// FuzzParseJSON: for any valid JSON without duplicate keys, the ordered tree
// encodes to a document with the same meaning; nothing panics.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,2,{"b":"c\u0000"}],"d":-0.5e-3}`))
	f.Add(DefaultTemplate())
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseJSON(data)
		if err != nil {
			return
		}
		var want, got any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("parseJSON accepted invalid JSON: %v", err)
		}
		out := n.indented()
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("encoded output is invalid: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("meaning changed:\n%s\n%s", data, out)
		}
	})
}
