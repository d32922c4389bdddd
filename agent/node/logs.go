package node

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sei-protocol/sei-fleet/agent/tasks"
)

// maxLogBytes bounds what one log read returns.
const maxLogBytes = 64 << 10

// PreviousLogs reads the last lines of a container's previous run through the kubelet (pods/log with
// previous=true).
func PreviousLogs(cs kubernetes.Interface) tasks.LogReader {
	return func(ctx context.Context, namespace, pod, container string, lines int64) (string, error) {
		limit := int64(maxLogBytes)
		req := cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{
			Container: container, Previous: true, TailLines: &lines, LimitBytes: &limit,
		})
		stream, err := req.Stream(ctx)
		if err != nil {
			return "", fmt.Errorf("read previous log of %s/%s %s: %w", namespace, pod, container, err)
		}
		defer func() { _ = stream.Close() }()
		raw, err := io.ReadAll(io.LimitReader(stream, maxLogBytes))
		if err != nil {
			return "", fmt.Errorf("read previous log of %s/%s %s: %w", namespace, pod, container, err)
		}
		return string(raw), nil
	}
}
