package testfleet

import (
	"time"

	"github.com/sei-protocol/sei-fleet/deploy/crds"
)

// StartMember starts one more member control plane, with the member CRDs, outside any fleet: a
// cluster that appears later, or one rebuilt under an existing member's name (same name, new
// identity). It returns the control plane and its stop function.
func StartMember(name string) (*ControlPlane, func() error, error) {
	bins, err := prepare()
	if err != nil {
		return nil, nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, nil, err
	}
	memberCRDs, err := crds.Member()
	if err != nil {
		return nil, nil, err
	}
	cp := &ControlPlane{Name: name}
	if err := cp.launch(bins, scheme, 90*time.Second, memberCRDs); err != nil {
		if cp.Env != nil {
			_ = cp.stop()
		}
		return nil, nil, err
	}
	return cp, cp.stop, nil
}
