package mapping

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The same item maps to the same bytes, and so does the item re-delivered
// unchanged by the API; an updated item keeps its ids and moves modified.
func TestDeterminism(t *testing.T) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	clock := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	sim := gibsim.New(gibsim.Config{Seed: 3, Items: 40, Drift: 0.2, Now: func() time.Time { return clock }})
	for _, c := range e.Collections() {
		first := mapAll(t, e, c, sim.Items(c))
		again := mapAll(t, e, c, sim.Items(c)) // re-delivered: rendered anew
		assert.Equal(t, first, again, c)
	}
}

func mapAll(t *testing.T, e *Engine, collection string, items []json.RawMessage) map[string]string {
	out := map[string]string{}
	for _, item := range items {
		raws, err := e.Map(collection, item)
		require.NoError(t, err)
		for _, raw := range raws {
			obj, err := storage.ParseObject(raw)
			require.NoError(t, err)
			out[obj.ID+"@"+obj.VersionText] = string(obj.JSON)
		}
	}
	return out
}

// An item whose update date moves gets new versions of its objects: the
// same ids, a later modified.
func TestUpdatedItemIsANewVersion(t *testing.T) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	item := `{"id":"common-1","url":"https://update-sim.com/x","malwareList":[{"name":"Shadar"}],
		"dateFirstSeen":"2026-01-01T00:00:00Z","dateLastSeen":"2026-01-02T00:00:00Z"}`
	v1 := objectsOf(t, e, "ioc/common", item)
	v2 := objectsOf(t, e, "ioc/common", strings.Replace(item, "2026-01-02", "2026-02-02", 1))
	for id, o := range v1 {
		require.Contains(t, v2, id, "same ids")
		if o["type"] == "indicator" {
			assert.Equal(t, "2026-01-02T00:00:00.000Z", o["modified"])
			assert.Equal(t, "2026-02-02T00:00:00.000Z", v2[id]["modified"])
		}
		if o["type"] == "malware" {
			assert.Equal(t, o, v2[id], "a global object does not change with the item")
		}
	}
}
