package mapping

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every head MapObjects states is what the object's own JSON says, for
// every simulated item of every collection: ingest stores objects by
// their heads without parsing them again.
func TestHeadsMatchTheirObjects(t *testing.T) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	sim := gibsim.New(gibsim.Config{Seed: 11, Items: 30, Drift: 0.3,
		Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
	n := 0
	for _, c := range e.Collections() {
		for _, raw := range sim.Items(c) {
			objs, err := e.MapObjects(c, raw)
			require.NoError(t, err)
			plain, err := e.Map(c, raw)
			require.NoError(t, err)
			require.Len(t, objs, len(plain))
			for i, o := range objs {
				assert.Equal(t, string(plain[i]), string(o.JSON), "the same bytes as Map")
				var f struct {
					ID, Type, Created, Modified string
					SpecVersion                 string `json:"spec_version"`
				}
				require.NoError(t, json.Unmarshal(o.JSON, &f))
				assert.Equal(t, Head{ID: f.ID, Type: f.Type, SpecVersion: f.SpecVersion, Created: f.Created, Modified: f.Modified}, o.Head, "%s", o.JSON)
				n++
			}
		}
	}
	require.Greater(t, n, 1000)
}
