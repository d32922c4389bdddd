package gentx

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// Description length limits (staking Description.EnsureLength).
const (
	maxMonikerLen         = 70
	maxIdentityLen        = 3000
	maxWebsiteLen         = 140
	maxSecurityContactLen = 140
	maxDetailsLen         = 280
)

// Verify checks a parsed gentx for chainID as InitChain would: the
// MsgCreateValidator rules (addresses, amounts, commission, description),
// the signer's address equals the delegator's, sequence 0, and the
// secp256k1 signature over the canonical SIGN_MODE_DIRECT sign bytes
// (account number 0).
func Verify(g *Gentx, chainID string) error {
	if g == nil {
		return fmt.Errorf("verify gentx: nil")
	}
	if err := g.verify(chainID); err != nil {
		return fmt.Errorf("verify gentx of %q (%s): %w", g.Description.Moniker, g.ValidatorAddress, err)
	}
	return nil
}

// Verify is the method form of Verify.
func (g *Gentx) Verify(chainID string) error { return Verify(g, chainID) }

func (g *Gentx) verify(chainID string) error {
	if err := validateChainID(chainID); err != nil {
		return err
	}
	if err := g.ValidateBasic(); err != nil {
		return err
	}
	if !bytes.Equal(seikeys.Secp256k1Address(g.SignerPubKey), g.delegatorBytes()) {
		return fmt.Errorf("signer public key belongs to %s, not to delegator %s",
			seikeys.AccAddress(seikeys.Secp256k1Address(g.SignerPubKey)), g.DelegatorAddress)
	}
	if g.Sequence != 0 {
		return fmt.Errorf("signer sequence is %d, genesis accounts sign with 0", g.Sequence)
	}
	for _, c := range g.Fee.Amount {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("fee: %w", err)
		}
	}
	if err := seikeys.VerifyDirect(g.SignerPubKey, g.SignBytes(chainID), g.Signature); err != nil {
		return fmt.Errorf("%w (wrong chain ID %q, or the gentx was altered)", err, chainID)
	}
	return nil
}

// delegatorBytes returns the decoded delegator address or nil.
func (g *Gentx) delegatorBytes() []byte {
	b, err := seikeys.DecodeAddress(g.DelegatorAddress, seikeys.AccountPrefix)
	if err != nil {
		return nil
	}
	return b
}

// OperatorBytes returns the 20 bytes behind the delegator/validator address.
func (g *Gentx) OperatorBytes() []byte { return g.delegatorBytes() }

// ValidateBasic mirrors MsgCreateValidator.ValidateBasic and the description
// and key checks of the staking msg server: everything Verify checks but the
// signature and the signer. Build runs it on what it signs; package genesis
// runs it on the stand-ins of validators whose gentxs do not exist yet.
func (g *Gentx) ValidateBasic() error {
	del, err := seikeys.DecodeAddress(g.DelegatorAddress, seikeys.AccountPrefix)
	if err != nil {
		return fmt.Errorf("delegator address: %w", err)
	}
	val, err := seikeys.DecodeAddress(g.ValidatorAddress, seikeys.ValoperPrefix)
	if err != nil {
		return fmt.Errorf("validator address: %w", err)
	}
	if !bytes.Equal(del, val) {
		return fmt.Errorf("validator address %s and delegator address %s differ", g.ValidatorAddress, g.DelegatorAddress)
	}
	if len(g.ConsensusPubKey) != ed25519.PublicKeySize {
		return fmt.Errorf("consensus public key is %d bytes, want %d", len(g.ConsensusPubKey), ed25519.PublicKeySize)
	}
	if err := g.SelfBond.Validate(); err != nil {
		return fmt.Errorf("self-bond: %w", err)
	}
	if err := g.Description.validate(); err != nil {
		return err
	}
	if err := g.Commission.Validate(); err != nil {
		return err
	}
	if g.MinSelfDelegation == nil || g.MinSelfDelegation.Sign() <= 0 {
		return fmt.Errorf("min self delegation must be positive")
	}
	if g.SelfBond.Amount.Cmp(g.MinSelfDelegation) < 0 {
		return fmt.Errorf("self-bond %s is below min self delegation %s", g.SelfBond, g.MinSelfDelegation)
	}
	if len(g.SignerPubKey) != seikeys.Secp256k1PubKeySize {
		return fmt.Errorf("signer public key is %d bytes, want %d", len(g.SignerPubKey), seikeys.Secp256k1PubKeySize)
	}
	return nil
}

func (d Description) validate() error {
	if d.Moniker == "" {
		return fmt.Errorf("moniker is empty")
	}
	for _, f := range []struct {
		name string
		val  string
		max  int
	}{
		{"moniker", d.Moniker, maxMonikerLen},
		{"identity", d.Identity, maxIdentityLen},
		{"website", d.Website, maxWebsiteLen},
		{"security contact", d.SecurityContact, maxSecurityContactLen},
		{"details", d.Details, maxDetailsLen},
	} {
		if len(f.val) > f.max {
			return fmt.Errorf("%s is %d characters, at most %d", f.name, len(f.val), f.max)
		}
	}
	return nil
}

// Validate checks 0 <= rate <= max_rate <= 1 and 0 <= max_change_rate <= max_rate.
func (c CommissionRates) Validate() error {
	switch {
	case c.MaxRate.Sign() < 0 || c.MaxRate.Cmp(decOne) > 0:
		return fmt.Errorf("commission max rate %s must be in [0, 1]", c.MaxRate)
	case c.Rate.Sign() < 0 || c.Rate.Cmp(c.MaxRate) > 0:
		return fmt.Errorf("commission rate %s must be in [0, max rate %s]", c.Rate, c.MaxRate)
	case c.MaxChangeRate.Sign() < 0 || c.MaxChangeRate.Cmp(c.MaxRate) > 0:
		return fmt.Errorf("commission max change rate %s must be in [0, max rate %s]", c.MaxChangeRate, c.MaxRate)
	}
	return nil
}
