package kube

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Sooner is result with its requeue brought forward to at most after (after ≤ 0 changes nothing).
func Sooner(result ctrl.Result, after time.Duration) ctrl.Result {
	if after > 0 && (result.RequeueAfter == 0 || after < result.RequeueAfter) {
		result.RequeueAfter = after
	}
	return result
}
