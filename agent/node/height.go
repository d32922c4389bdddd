package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// HeightReader knows how to read a node's latest block height.
type HeightReader func(ctx context.Context, node *seiv1alpha1.SeiNode) (int64, error)

// RPCHeight reads the latest block height from seid's RPC /status at the URL base returns for a node.
func RPCHeight(base func(*seiv1alpha1.SeiNode) string) HeightReader {
	client := &http.Client{Timeout: 3 * time.Second}
	return func(ctx context.Context, node *seiv1alpha1.SeiNode) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base(node)+"/status", nil)
		if err != nil {
			return 0, fmt.Errorf("build status request: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("read status of %s: %w", node.Name, err)
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("read status of %s: HTTP %d", node.Name, resp.StatusCode)
		}
		// Tendermint answers {"result": {...}} over JSON-RPC and the bare object over plain HTTP.
		var body struct {
			Result   *statusBody `json:"result"`
			SyncInfo *syncInfo   `json:"sync_info"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return 0, fmt.Errorf("decode status of %s: %w", node.Name, err)
		}
		info := body.SyncInfo
		if body.Result != nil {
			info = body.Result.SyncInfo
		}
		if info == nil {
			return 0, fmt.Errorf("status of %s has no sync_info", node.Name)
		}
		h, err := strconv.ParseInt(info.LatestBlockHeight, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status of %s: bad height %q", node.Name, info.LatestBlockHeight)
		}
		return h, nil
	}
}

type statusBody struct {
	SyncInfo *syncInfo `json:"sync_info"`
}

type syncInfo struct {
	LatestBlockHeight string `json:"latest_block_height"`
}
