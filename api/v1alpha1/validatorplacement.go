package v1alpha1

// PlacementOf returns the hub's memory of validator ordinal (status.validatorPlacements), or nil.
func (s *SeiNodeDeploymentStatus) PlacementOf(ordinal int) *ValidatorPlacement {
	for i := range s.ValidatorPlacements {
		if int(s.ValidatorPlacements[i].Ordinal) == ordinal {
			return &s.ValidatorPlacements[i]
		}
	}
	return nil
}
