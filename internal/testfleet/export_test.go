package testfleet

// For tests of what a killed test process leaves behind.
var (
	OwnRunDir             = ownRunDir
	ControlPlaneProcesses = controlPlaneProcesses
	StartTime             = startTime
	Running               = running
)
