package lookup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gibtaxii "github.com/gib-taxii/gib-taxii"
	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/lookup"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var collections = []string{"suspicious_ip/scanner", "suspicious_ip/tor_node", "suspicious_ip/vpn"}

// setup serves the simulator over HTTP and builds a lookup service on the
// project's Group-IB client and the embedded mapping.
func setup(t testing.TB, edit func(*lookup.Config)) (*gibsim.Simulator, *lookup.Service, *testkit.Clock) {
	t.Helper()
	sim := gibsim.New(gibsim.Config{Seed: 3, Items: 40, Collections: collections})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	client, err := ingest.NewClient(ingest.ClientConfig{BaseURL: srv.URL + "/api/v2/", Username: "user@example.com",
		APIKey: "api-key", RateLimit: 1000, Burst: 100}) // retries as ingest has them
	require.NoError(t, err)
	engine, err := mapping.Parse("mappings.yaml (embedded)", gibtaxii.DefaultMappings(), mapping.Options{})
	require.NoError(t, err)
	clock := testkit.NewClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	cfg := lookup.Config{Upstream: ingest.LookupUpstream{Client: client}, Mapper: engine, Now: clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := lookup.New(cfg)
	require.NoError(t, err)
	return sim, svc, clock
}

// addresses returns the ids (addresses) of a collection's items.
func addresses(t testing.TB, sim *gibsim.Simulator, collection string) []string {
	var out []string
	for _, raw := range sim.Items(collection) {
		var it struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(raw, &it))
		out = append(out, it.ID)
	}
	return out
}

// 100 identical lookups at once cost the API one lookup's requests; the
// answer is then cached until its TTL passes.
func TestIdenticalLookupsAskOnce(t *testing.T) {
	sim, svc, clock := setup(t, nil)
	value := addresses(t, sim, collections[0])[0]
	before := sim.Requests()
	var wg sync.WaitGroup
	results := make([]lookup.Result, 100)
	for i := range results {
		wg.Go(func() {
			var err error
			results[i], err = svc.Lookup(context.Background(), value)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	asked := sim.Requests() - before
	hits := len(results[0].Collections)
	require.Positive(t, hits)
	assert.Equal(t, int64(1+hits), asked, "one global search and one query per collection, for all 100")
	for _, r := range results {
		assert.Equal(t, len(results[0].Objects), len(r.Objects))
	}
	st := svc.Stats()
	assert.Equal(t, int64(100), st.Lookups)
	assert.Equal(t, int64(1+hits), st.Upstream)

	res, err := svc.Lookup(context.Background(), value)
	require.NoError(t, err)
	assert.True(t, res.Cached)
	assert.Equal(t, int64(1+hits), sim.Requests()-before, "answered from the cache")
	clock.Advance(6 * time.Minute)
	res, err = svc.Lookup(context.Background(), value)
	require.NoError(t, err)
	assert.False(t, res.Cached, "the cache entry expired after its TTL")
	assert.Equal(t, int64(2*(1+hits)), sim.Requests()-before)
}

// 100 distinct lookups at once spend at most the budget's burst of API
// requests; the rest are told when to come back, and nothing fails
// otherwise.
func TestDistinctLookupsStayWithinTheBudget(t *testing.T) {
	sim, svc, clock := setup(t, func(c *lookup.Config) { c.Budget, c.Burst = 0.5, 10 })
	values := addresses(t, sim, collections[1])
	for len(values) < 100 {
		values = append(values, fmt.Sprintf("198.51.100.%d", len(values)))
	}
	before := sim.Requests()
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, busy := 0, 0
	for _, v := range values[:100] {
		wg.Go(func() {
			_, err := svc.Lookup(context.Background(), v)
			mu.Lock()
			defer mu.Unlock()
			var be *lookup.BusyError
			switch {
			case err == nil:
				answered++
			case errors.As(err, &be):
				busy++
				assert.Positive(t, be.RetryAfter)
			default:
				t.Errorf("lookup %s: %v", v, err)
			}
		})
	}
	wg.Wait()
	asked := sim.Requests() - before
	assert.LessOrEqual(t, asked, int64(10), "no more API requests than the budget's burst")
	assert.Equal(t, 100, answered+busy)
	assert.GreaterOrEqual(t, busy, 90, "a lookup takes at least one token")
	// The budget refills with time: 20 s at 0.5/s is a full burst again.
	clock.Advance(20 * time.Second)
	asked = sim.Requests()
	_, err := svc.Lookup(context.Background(), "203.0.113.77") // asked of nobody yet
	require.NoError(t, err)
	assert.Equal(t, asked+1, sim.Requests())
}

// A 429 from Group-IB is a BusyError carrying its Retry-After, at once:
// a lookup neither retries nor waits out the pause the 429 puts on the
// credential, and the next lookup during that pause asks nobody.
func TestTooManyRequestsIsBusy(t *testing.T) {
	sim, svc, _ := setup(t, nil)
	sim.Inject(gibsim.Fault{Kind: gibsim.FaultTooManyRequests, RetryAfter: 7 * time.Second})
	start := time.Now()
	_, err := svc.Lookup(context.Background(), "198.51.100.1")
	var be *lookup.BusyError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 7*time.Second, be.RetryAfter)
	before := sim.Requests()
	_, err = svc.Lookup(context.Background(), "198.51.100.2")
	require.ErrorAs(t, err, &be)
	assert.InDelta(t, 7, be.RetryAfter.Seconds(), 1, "what is left of the pause")
	assert.Equal(t, before, sim.Requests(), "nothing sent during the pause")
	assert.Less(t, time.Since(start), 5*time.Second, "told, not held")
}

// An unknown value is an empty answer, not an error; a bad query is
// refused before the API is asked.
func TestUnknownValueAndBadQuery(t *testing.T) {
	sim, svc, _ := setup(t, nil)
	res, err := svc.Lookup(context.Background(), "203.0.113.254")
	require.NoError(t, err)
	assert.Empty(t, res.Collections)
	assert.Empty(t, res.Objects)
	before := sim.Requests()
	_, err = svc.Lookup(context.Background(), "   ")
	assert.ErrorIs(t, err, lookup.ErrBadQuery)
	assert.Equal(t, before, sim.Requests())
}

// valueIn returns an address the items of exactly n of the simulated
// collections hold.
func valueIn(t *testing.T, sim *gibsim.Simulator, n int) (string, []string) {
	t.Helper()
	in := map[string][]string{}
	for _, c := range collections {
		for _, a := range addresses(t, sim, c) {
			if !slices.Contains(in[a], c) {
				in[a] = append(in[a], c)
			}
		}
	}
	for _, a := range slices.Sorted(maps.Keys(in)) {
		if len(in[a]) == n {
			return a, in[a]
		}
	}
	t.Fatalf("no address in %d collections", n)
	return "", nil
}

// A value in more collections than a lookup may ask about is answered for
// as many as it may, and says so for the rest: it never needs more
// requests than the budget's burst, so it can always be answered.
func TestLookupFetchesAtMostBurstLessOneCollections(t *testing.T) {
	sim, svc, _ := setup(t, func(c *lookup.Config) { c.Budget, c.Burst = 0.5, 3 })
	value, in := valueIn(t, sim, 3)
	before := sim.Requests()
	res, err := svc.Lookup(context.Background(), value)
	require.NoError(t, err)
	assert.Equal(t, int64(3), sim.Requests()-before, "the global search and two collections")
	require.Len(t, res.Collections, len(in))
	fetched := 0
	for _, c := range res.Collections {
		if c.Fetched > 0 {
			fetched++
		} else {
			assert.Contains(t, strings.Join(c.Skipped, " "), "at most 2 collections")
		}
	}
	assert.Equal(t, 2, fetched)
}

// A lookup that cannot pay for its collections spends nothing on them and
// keeps its global search for the retry.
func TestLookupOutOfBudgetKeepsItsGlobalSearch(t *testing.T) {
	sim, svc, clock := setup(t, func(c *lookup.Config) { c.Budget, c.Burst = 0.5, 3 })
	value, _ := valueIn(t, sim, 3)
	for _, unknown := range []string{"203.0.113.1", "203.0.113.2"} { // a global search each: 2 of the 3 tokens
		_, err := svc.Lookup(context.Background(), unknown)
		require.NoError(t, err)
	}
	before := sim.Requests()
	_, err := svc.Lookup(context.Background(), value) // the global search takes the last token
	var be *lookup.BusyError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, int64(1), sim.Requests()-before, "only the global search was sent")
	assert.Equal(t, 4*time.Second, be.RetryAfter, "two tokens at 0.5/s")
	clock.Advance(be.RetryAfter)
	before = sim.Requests()
	res, err := svc.Lookup(context.Background(), value)
	require.NoError(t, err)
	assert.Equal(t, int64(2), sim.Requests()-before, "two collections, not the global search again")
	assert.Len(t, res.Collections, 3)
}

// One collection failing leaves the others' answer, which names the
// failure and is not cached.
func TestLookupCollectionFailureIsPartial(t *testing.T) {
	sim, svc, _ := setup(t, nil)
	value, in := valueIn(t, sim, 3)
	sim.Inject(gibsim.Fault{Kind: gibsim.FaultServerError, Collection: in[0], Status: 500, Times: 100})
	res, err := svc.Lookup(context.Background(), value)
	require.NoError(t, err)
	require.Len(t, res.Collections, 3)
	for _, c := range res.Collections {
		if c.Collection == in[0] {
			assert.Zero(t, c.Fetched)
			assert.Contains(t, strings.Join(c.Skipped, " "), "query failed")
		} else {
			assert.Positive(t, c.Fetched)
		}
	}
	assert.NotEmpty(t, res.Objects)
	res, err = svc.Lookup(context.Background(), value)
	require.NoError(t, err)
	assert.False(t, res.Cached, "a partial answer is asked again")
}
