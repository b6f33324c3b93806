package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOwnChecksOfIDsAndTimestamps(t *testing.T) {
	for id, ok := range map[string]bool{
		"indicator--0917c271-14e1-509d-b6ae-a9cd4614bf6b": true,
		"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db": true,
		"indicator--0917C271-14E1-509D-B6AE-A9CD4614BF6B": false, // upper case
		"indicator--0917c271-14e1-509d-76ae-a9cd4614bf6b": false, // variant
		"indicator-0917c271-14e1-509d-b6ae-a9cd4614bf6b":  false,
		"--0917c271-14e1-509d-b6ae-a9cd4614bf6b":          false,
	} {
		assert.Equal(t, ok, isSTIXID(id), id)
	}
	assert.NoError(t, checkTimestamp("2026-01-01T00:00:00.000Z"))
	for _, bad := range []string{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000+00:00", "2026-13-01T00:00:00.000Z", ""} {
		assert.Error(t, checkTimestamp(bad), bad)
	}
}
