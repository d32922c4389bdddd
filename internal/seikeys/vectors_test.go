package seikeys

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// vector is one seid-made key set from testdata (see testdata/README.md).
type vector struct {
	name      string
	mnemonic  string
	pvKey     []byte
	nodeKey   []byte
	addresses struct {
		Account         string `json:"account"`
		Valoper         string `json:"valoper"`
		NodeID          string `json:"nodeID"`
		Valcons         string `json:"valcons"`
		ConsensusPubKey struct {
			Key []byte `json:"key"`
		} `json:"consensusPubKey"`
		AccountPubKey struct {
			Key []byte `json:"key"`
		} `json:"accountPubKey"`
	}
	evm string // "" when the vector has none
}

func loadVector(t testing.TB, name string) vector {
	t.Helper()
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name, f))
		if err != nil {
			t.Fatalf("read vector: %v", err)
		}
		return b
	}
	v := vector{name: name, mnemonic: string(read("mnemonic.txt")), pvKey: read("priv_validator_key.json"),
		nodeKey: read("node_key.json")}
	if err := json.Unmarshal(read("addresses.json"), &v.addresses); err != nil {
		t.Fatalf("parse addresses.json: %v", err)
	}
	if name == "one" {
		v.evm = "0x5e15daEB3cF857735c6ACaE58703f04F7c7bd5cf"
	}
	return v
}

func TestVectorsOperatorKey(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			v := loadVector(t, name)
			k, err := OperatorKeyFromMnemonic(v.mnemonic)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k.PubKey()).To(Equal(v.addresses.AccountPubKey.Key))
			g.Expect(k.AccountAddress()).To(Equal(v.addresses.Account))
			g.Expect(k.ValoperAddress()).To(Equal(v.addresses.Valoper))
			if v.evm != "" {
				g.Expect(k.EVMAddress()).To(Equal(v.evm))
				evm, err := EVMAddressFromCompressed(k.PubKey())
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(evm).To(Equal(v.evm))
			}
		})
	}
}

func TestVectorsConsensusKey(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			v := loadVector(t, name)
			k, err := ParseConsensusKey(v.pvKey)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k.JSON()).To(Equal(v.pvKey), "byte-identical priv_validator_key.json")
			g.Expect([]byte(k.PubKey())).To(Equal(v.addresses.ConsensusPubKey.Key))
			g.Expect(k.ValconsAddress()).To(Equal(v.addresses.Valcons))

			// Rebuilding from the seed alone gives the same file.
			k2, err := ConsensusKeyFromSeed(k.s.priv().Seed())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k2.JSON()).To(Equal(v.pvKey))
		})
	}
}

func TestVectorsNodeKey(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			v := loadVector(t, name)
			k, err := ParseNodeKey(v.nodeKey)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k.ID()).To(Equal(v.addresses.NodeID))
			g.Expect(k.JSON()).To(Equal(v.nodeKey), "byte-identical node_key.json")
			g.Expect(IsNodeID(k.ID())).To(BeTrue())
		})
	}
}
