package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Types says what a collection's items can become, so that a config can
// be checked against it: every type an item of the collection is mapped to
// in the golden tests is listed.
func TestTypesOfACollection(t *testing.T) {
	e := shipped(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ioc, ok := e.Types("ioc/common")
	assert.True(t, ok)
	for _, want := range []string{"indicator", "relationship", "malware", "ipv4-addr", "domain-name", "url", "file", "identity", "marking-definition"} {
		assert.Contains(t, ioc, want)
	}
	assert.NotContains(t, ioc, "report")
	threat, _ := e.Types("apt/threat")
	assert.Contains(t, threat, "report")
	assert.Contains(t, threat, "intrusion-set")
	_, ok = e.Types("ioc/nothing")
	assert.False(t, ok)

	dirs, err := os.ReadDir(goldenDir)
	require.NoError(t, err)
	for _, d := range dirs {
		var collection string
		for _, c := range e.Collections() {
			if strings.ReplaceAll(c, "/", "_") == d.Name() {
				collection = c
			}
		}
		types, ok := e.Types(collection)
		require.True(t, ok, collection)
		files, _ := filepath.Glob(filepath.Join(goldenDir, d.Name(), "*.golden.json"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var objs []struct{ Type string }
			if json.Unmarshal(raw, &objs) != nil {
				continue // an expected error, not objects
			}
			for _, o := range objs {
				assert.Contains(t, types, o.Type, "%s: %s", f, o.Type)
			}
		}
	}

	assert.True(t, KnownType("sighting"))
	assert.True(t, KnownType("x-acme-widget"))
	assert.False(t, KnownType("indicators"))
	assert.False(t, KnownType("x-"))
}
