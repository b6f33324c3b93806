package mapping

import (
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMappingsOnSimulatedItems maps thousands of simulated items of every
// collection the mappings cover, with field drift, and validates every
// object as the store and the engine's own checks do (patterns included):
// zero invalid objects, and no item without objects unless expected.
func TestMappingsOnSimulatedItems(t *testing.T) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	sim := gibsim.New(gibsim.Config{Seed: 42, Items: 150, Drift: 0.3,
		Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
	sim.Advance(50) // updates: revisions > 0
	for _, collection := range e.Collections() {
		items := sim.Items(collection)
		require.NotEmpty(t, items, collection)
		objects := 0
		for _, item := range items {
			raws, err := e.Map(collection, item)
			require.NoError(t, err, "%s: %s", collection, item)
			for _, raw := range raws {
				_, err := storage.ParseObject(raw)
				require.NoError(t, err, "%s: %s", collection, raw)
			}
			objects += len(raws)
		}
		assert.Greater(t, objects, 2*len(items), "%s: more than identity and marking per item", collection)
	}
}
