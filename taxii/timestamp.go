package taxii

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// timestampLayout is the TAXII timestamp: UTC, microseconds, Z (§2).
const timestampLayout = "2006-01-02T15:04:05.000000Z"

func formatTimestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

// looseTimestamp is RFC 3339 with 0-9 fractional digits and Z or an offset:
// what real clients send as added_after and match[version] (trap T5).
var looseTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$`)

// parseTimestamp accepts any looseTimestamp and returns it in UTC. A client
// that forgot to percent-encode the '+' of an offset sends a space, which
// the query decoder made of it; that is repaired rather than refused.
func parseTimestamp(s string) (time.Time, error) {
	if n := len(s); n > 6 && s[n-6] == ' ' {
		s = s[:n-6] + "+" + s[n-5:]
	}
	if !looseTimestamp.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z", s)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a valid timestamp: %w", s, err)
	}
	// An offset can push a valid local time out of the four-digit years a
	// TAXII timestamp can express, and such a value may be echoed in a header.
	if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q is outside years 0001-9999 in UTC", s)
	}
	return t, nil
}
