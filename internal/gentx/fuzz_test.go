package gentx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a JSON round trip unchanged (so JSON() is canonical), and that
// Verify never panics on it either.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"one", "two"} {
		b, err := os.ReadFile(filepath.Join("testdata", name, "gentx.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"body":{"messages":[]}}`))
	f.Add([]byte(`{"body":null,"auth_info":{},"signatures":[""]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			return
		}
		_ = Verify(g, "vec-1")
		out := g.JSON()
		g2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of JSON() failed: %v\n%s", err, out)
		}
		if !bytes.Equal(g2.JSON(), out) {
			t.Fatalf("JSON() is not stable:\n%s\n%s", out, g2.JSON())
		}
		if !bytes.Equal(g2.SignBytes("c"), g.SignBytes("c")) {
			t.Fatalf("sign bytes changed across a JSON round trip")
		}
	})
}
