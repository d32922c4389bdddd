// Package genesiscm reads the genesis ConfigMap: the hub writes it after a ceremony and copies it to
// members, and agents check it before a node starts. Both sides must hash the same bytes under the
// same key, so both call this package.
package genesiscm

import (
	"crypto/sha256"
	"encoding/hex"

	corev1 "k8s.io/api/core/v1"
)

// Key is the ConfigMap key holding genesis.json.
const Key = "genesis.json"

// Hash returns the sha256 (hex) of a genesis ConfigMap's genesis.json, and its bytes, from data or
// binaryData.
func Hash(cm *corev1.ConfigMap) (string, []byte) {
	data := []byte(cm.Data[Key])
	if len(data) == 0 {
		data = cm.BinaryData[Key]
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), data
}
