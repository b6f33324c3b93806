package mapping

import (
	"fmt"
	"strings"
	"time"
)

// isSTIXID reports whether s is a STIX identifier: a type name, "--", and
// an RFC 4122 UUID in canonical lower-case form. The mapping checks its
// own output without importing storage (it stays pure: item in, STIX
// out); the store checks again on the way in. Written out by hand: it
// runs for every id and reference of every object.
func isSTIXID(s string) bool {
	i := strings.Index(s, "--")
	if i < 3 || i > 250 || len(s)-i-2 != 36 {
		return false
	}
	typ, id := s[:i], s[i+2:]
	for j := 0; j < len(typ); j++ {
		if c := typ[j]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && j > 0 && j < len(typ)-1) {
			return false
		}
	}
	if id[14] < '1' || id[14] > '8' || !strings.ContainsRune("89ab", rune(id[19])) {
		return false
	}
	for j := 0; j < 36; j++ {
		c := id[j]
		if j == 8 || j == 13 || j == 18 || j == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkTimestamp requires the engine's own form: UTC, millisecond
// precision, as STIX wants created and modified.
func checkTimestamp(s string) error {
	t, err := time.Parse(stixTimestamp, s)
	if err != nil || t.Format(stixTimestamp) != s {
		return fmt.Errorf("%q is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS.sssZ)", s)
	}
	return nil
}
