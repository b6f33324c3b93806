package mapping

import (
	"fmt"
	"regexp"
	"time"
)

// stixIDPattern is a STIX identifier: a type name, "--", and an RFC 4122
// UUID in canonical lower-case form (SDOs version 4 or, here, 5).
var stixIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// isSTIXID reports whether s is a STIX identifier. The mapping checks its
// own output without importing storage (it stays pure: item in, STIX
// out); the store checks again on the way in.
func isSTIXID(s string) bool { return stixIDPattern.MatchString(s) }

// checkTimestamp requires the engine's own form: UTC, millisecond
// precision, as STIX wants created and modified.
func checkTimestamp(s string) error {
	t, err := time.Parse(stixTimestamp, s)
	if err != nil || t.Format(stixTimestamp) != s {
		return fmt.Errorf("%q is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS.sssZ)", s)
	}
	return nil
}
