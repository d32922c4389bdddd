package tasks

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
	"github.com/sei-protocol/sei-fleet/planner"
)

// publishGentx signs the validator's genesis transaction with its operator key, where that key lives,
// and publishes only the signed, public result in status for the hub to collect. Signing is
// deterministic (RFC 6979), so running the task again gives the same bytes.
func publishGentx(ctx context.Context, env *Env) (planner.Result, error) {
	node := env.Node
	v := node.Spec.Validator
	if v == nil || v.Ceremony == nil {
		return planner.Done()
	}
	names := resources.KeySecretNames(node)
	if names.OperatorKey == "" {
		return planner.Result{}, planner.Terminal(errNoOperatorKey)
	}
	if node.Status.P2PAddress == "" || node.Status.NodeID == "" {
		return planner.Result{}, fmt.Errorf("the node's P2P address and ID are not known yet")
	}
	host, portText, err := net.SplitHostPort(node.Status.P2PAddress)
	if err != nil {
		return planner.Result{}, planner.Terminalf("p2p address %q: %v", node.Status.P2PAddress, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return planner.Result{}, planner.Terminalf("p2p address %q: bad port", node.Status.P2PAddress)
	}
	mnemonic, err := env.keySecret(ctx, names.OperatorKey, MnemonicKey, false, nil)
	if err != nil {
		return planner.Result{}, err
	}
	operator, err := seikeys.OperatorKeyFromMnemonic(string(mnemonic))
	if err != nil {
		return planner.Result{}, planner.Terminalf("Secret %s does not hold a valid mnemonic", names.OperatorKey)
	}
	signing, err := env.keySecret(ctx, names.SigningKey, SigningKeyFile, false, nil)
	if err != nil {
		return planner.Result{}, err
	}
	consensus, err := seikeys.ParseConsensusKey(signing)
	if err != nil {
		return planner.Result{}, planner.Terminalf("Secret %s does not hold a consensus key", names.SigningKey)
	}
	bond, err := gentx.ParseCoin(v.Ceremony.StakingAmount)
	if err != nil {
		return planner.Result{}, planner.Terminalf("validator.ceremony.stakingAmount: %v", err)
	}
	g, err := gentx.Build(operator, gentx.Input{
		ChainID:         node.Spec.ChainID,
		Description:     gentx.Description{Moniker: v.Ceremony.Moniker},
		SelfBond:        bond,
		ConsensusPubKey: consensus.PubKey(),
		NodeID:          node.Status.NodeID,
		Host:            host,
		P2PPort:         port,
	})
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	node.Status.Gentx = string(g.JSON())
	node.Status.OperatorAddress = operator.ValoperAddress()
	return planner.Done()
}
