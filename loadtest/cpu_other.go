//go:build !unix

package loadtest

import "time"

// cpuTime is not measured where getrusage is missing.
func cpuTime() (time.Duration, bool) { return 0, false }
