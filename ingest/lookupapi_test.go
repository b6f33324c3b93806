package ingest_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedValue returns an IP address found in items of at least two
// collections, and how many items of each hold it: the simulator's
// suspicious_ip collections share their address pool.
func sharedValue(t *testing.T, sim *gibsim.Simulator) (string, map[string]int) {
	t.Helper()
	counts := map[string]map[string]int{}
	for _, c := range sim.Collections() {
		for _, raw := range sim.Items(c) {
			var item any
			require.NoError(t, json.Unmarshal(raw, &item))
			for ip := range ipsIn(item, map[string]bool{}) {
				if counts[ip] == nil {
					counts[ip] = map[string]int{}
				}
				counts[ip][c]++
			}
		}
	}
	for _, v := range slices.Sorted(maps.Keys(counts)) {
		if len(counts[v]) >= 2 {
			return v, counts[v]
		}
	}
	t.Fatal("no value in two collections")
	return "", nil
}

func ipsIn(v any, out map[string]bool) map[string]bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			ipsIn(e, out)
		}
	case []any:
		for _, e := range x {
			ipsIn(e, out)
		}
	case string:
		if a, err := netip.ParseAddr(x); err == nil && a.Is4() {
			out[x] = true
		}
	}
	return out
}

// Global search, a collection query and an item by id, against the
// simulator over HTTP: the collections a value is in, with their counts,
// the items themselves, and nothing for a value nowhere.
func TestGlobalSearchQueryAndItem(t *testing.T) {
	sim, base := newSim(t, gibsim.Config{Seed: 5, Items: 40, Username: "user@example.com", APIKey: "api-key"})
	c := testClient(t, base, func(cc *ingest.ClientConfig) { cc.MaxAttempts = 1 })
	ctx := context.Background()
	value, in := sharedValue(t, sim)

	for _, q := range []string{value, "ip:" + value, `ip: "` + value + `"`} {
		hits, err := c.GlobalSearch(ctx, q)
		require.NoError(t, err, q)
		got := map[string]int{}
		for _, h := range hits {
			got[h.Collection] = int(h.Count)
			assert.NotEmpty(t, h.Label)
		}
		assert.Equal(t, in, got, "q=%s", q)
	}
	for coll, n := range in {
		page, err := c.Query(ctx, coll, value, 100)
		require.NoError(t, err)
		assert.Equal(t, int64(n), page.Count)
		require.Len(t, page.Items, n)
		for _, raw := range page.Items {
			assert.Contains(t, string(raw), `"`+value+`"`)
			var item struct {
				ID string `json:"id"`
			}
			require.NoError(t, json.Unmarshal(raw, &item))
			one, err := c.Item(ctx, coll, item.ID)
			require.NoError(t, err)
			assert.Contains(t, string(one), `"`+value+`"`, "the item by id is the one found")
			// The AND form narrows to that one item.
			page, err := c.Query(ctx, coll, `id: "`+item.ID+`" AND ip: "`+value+`"`, 10)
			require.NoError(t, err)
			assert.Len(t, page.Items, 1)
		}
	}

	hits, err := c.GlobalSearch(ctx, "203.0.113.254")
	require.NoError(t, err)
	assert.Empty(t, hits)
	page, err := c.Query(ctx, "ioc/common", `id: "nothing" AND ip: "`+value+`"`, 10)
	require.NoError(t, err)
	assert.Zero(t, page.Count)
	_, err = c.GlobalSearch(ctx, " AND ")
	assert.ErrorContains(t, err, "400")
	assert.True(t, strings.Contains(sim.Queries()[0], "search?q="), "%v", sim.Queries()[:1])
}
