package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SCO ids of STIX-NOTES.md, computed as the spec does (JCS + UUIDv5).
func TestSCOIDVectors(t *testing.T) {
	for typ, want := range map[string]struct{ value, id string }{
		"ipv4-addr":   {"198.51.100.7", "ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db"},
		"domain-name": {"evil.example.com", "domain-name--6262c8a9-ac28-50fe-a7df-f5923bb2ee14"},
		"email-addr":  {"bad@example.com", "email-addr--8453ab81-f2cb-56fb-8edc-36024381c6fd"},
	} {
		id, err := scoID(typ, stixTypes[typ], map[string]any{"value": want.value})
		require.NoError(t, err)
		assert.Equal(t, want.id, id, typ)
	}
}

// A file's id uses one hash, by the spec's preference, plus its name.
func TestFileIDUsesPreferredHash(t *testing.T) {
	spec := stixTypes["file"]
	both, err := scoID("file", spec, map[string]any{"hashes": map[string]any{"SHA-256": "aa", "MD5": "bb"}})
	require.NoError(t, err)
	md5, err := scoID("file", spec, map[string]any{"hashes": map[string]any{"MD5": "bb"}})
	require.NoError(t, err)
	assert.Equal(t, md5, both)
	_, err = scoID("file", spec, map[string]any{"size": 3})
	assert.Error(t, err, "no id-contributing property")
}
