package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// ChainStatus is what seid's RPC says of its node's place in the chain.
type ChainStatus struct {
	// Height is the latest block the node has.
	Height int64
	// CatchingUp is sync_info.catching_up: block sync, state sync or a snapshot restore is under way.
	CatchingUp bool
}

// HeightReader reads a node's latest block height and whether it is still catching up.
type HeightReader func(ctx context.Context, node *seiv1alpha1.SeiNode) (ChainStatus, error)

// maxHeight is the largest height status takes: the largest integer a JSON number holds exactly
// (2^53-1), the bound of the API's int64 fields read by JSON clients.
const maxHeight = 1<<53 - 1

// ErrHeightRefused marks an answer that is not this node's height: another chain's or another node's
// (a stale pod address), or out of range. The agent logs why and keeps the height it had.
var ErrHeightRefused = errors.New("height refused")

// RPCHeight reads the latest block height and catching_up from seid's RPC /status at the URL base
// returns for a node.
// It takes the height only from the node's own chain (node_info.network is spec.chainId) and, once
// status.nodeID is known, from the node itself (node_info.id).
func RPCHeight(base func(*seiv1alpha1.SeiNode) string) HeightReader {
	client := &http.Client{Timeout: 3 * time.Second}
	return func(ctx context.Context, node *seiv1alpha1.SeiNode) (ChainStatus, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base(node)+"/status", nil)
		if err != nil {
			return ChainStatus{}, fmt.Errorf("build status request: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return ChainStatus{}, fmt.Errorf("read status of %s: %w", node.Name, err)
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return ChainStatus{}, fmt.Errorf("read status of %s: HTTP %d", node.Name, resp.StatusCode)
		}
		// Tendermint answers {"result": {...}} over JSON-RPC and the bare object over plain HTTP.
		var body struct {
			Result *statusBody `json:"result"`
			statusBody
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return ChainStatus{}, fmt.Errorf("decode status of %s: %w", node.Name, err)
		}
		status := &body.statusBody
		if body.Result != nil {
			status = body.Result
		}
		if status.SyncInfo == nil {
			return ChainStatus{}, fmt.Errorf("status of %s has no sync_info", node.Name)
		}
		var info nodeInfo
		if status.NodeInfo != nil {
			info = *status.NodeInfo
		}
		if info.Network != node.Spec.ChainID {
			return ChainStatus{}, fmt.Errorf("%w: the RPC at %s answers for chain %q, not %s", ErrHeightRefused, base(node), info.Network, node.Spec.ChainID)
		}
		if node.Status.NodeID != "" && !strings.EqualFold(info.ID, node.Status.NodeID) {
			return ChainStatus{}, fmt.Errorf("%w: the RPC at %s answers as node %q, not %s", ErrHeightRefused, base(node), info.ID, node.Status.NodeID)
		}
		h, err := strconv.ParseInt(status.SyncInfo.LatestBlockHeight, 10, 64)
		if err != nil {
			return ChainStatus{}, fmt.Errorf("status of %s: bad height %q", node.Name, status.SyncInfo.LatestBlockHeight)
		}
		if h > maxHeight {
			return ChainStatus{}, fmt.Errorf("%w: status of %s: height %d is above %d", ErrHeightRefused, node.Name, h, int64(maxHeight))
		}
		return ChainStatus{Height: h, CatchingUp: status.SyncInfo.CatchingUp}, nil
	}
}

type statusBody struct {
	NodeInfo *nodeInfo `json:"node_info"`
	SyncInfo *syncInfo `json:"sync_info"`
}

type nodeInfo struct {
	ID      string `json:"id"`
	Network string `json:"network"`
}

type syncInfo struct {
	LatestBlockHeight string `json:"latest_block_height"`
	CatchingUp        bool   `json:"catching_up"`
}
