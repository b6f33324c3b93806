package gibsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestSim(t *testing.T, cfg Config) (*Simulator, *httptest.Server, *testkit.Clock) {
	clk := testkit.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	cfg.Now = clk.Now
	sim := New(cfg)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv, clk
}

type page struct {
	Count     int               `json:"count"`
	Items     []json.RawMessage `json:"items"`
	SeqUpdate *int64            `json:"seqUpdate"`
	ResultID  string            `json:"resultId"`
	List      map[string]int64  `json:"list"`
	Message   string            `json:"message"`
}

type itemHead struct {
	ID        string `json:"id"`
	SeqUpdate int64  `json:"seqUpdate"`
}

func get(t *testing.T, srv *httptest.Server, path string, q url.Values) (int, http.Header, page) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+apiPrefix+path+"?"+q.Encode(), nil)
	require.NoError(t, err)
	req.SetBasicAuth("user@example.com", "api-key")
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var p page
	if res.StatusCode != http.StatusFound {
		require.NoError(t, json.Unmarshal(body, &p), string(body))
	}
	return res.StatusCode, res.Header, p
}

// drain pages /updated from a cursor and returns the items by id and the
// final cursor.
func drain(t *testing.T, srv *httptest.Server, collection string, seq int64, limit int) (map[string]int64, int64) {
	t.Helper()
	got := map[string]int64{}
	for range 1000 {
		status, _, p := get(t, srv, collection+"/updated", url.Values{"seqUpdate": {itoa(seq)}, "limit": {itoa(int64(limit))}})
		require.Equal(t, http.StatusOK, status, p.Message)
		if len(p.Items) == 0 {
			return got, seq
		}
		for _, raw := range p.Items {
			var h itemHead
			require.NoError(t, json.Unmarshal(raw, &h))
			require.Greater(t, h.SeqUpdate, seq, "ascending seqUpdate")
			seq = h.SeqUpdate
			got[h.ID] = h.SeqUpdate
		}
		if p.SeqUpdate != nil {
			require.Equal(t, seq, *p.SeqUpdate, "top-level seqUpdate is the last item's")
		}
	}
	t.Fatal("paging did not end")
	return nil, 0
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestUpdatedFeed(t *testing.T) {
	sim, srv, clk := newTestSim(t, Config{Items: 250, Collections: []string{"ioc/common", "malware/cnc"}})
	status, _, sl := get(t, srv, "sequence_list", url.Values{"date": {"2026-10-01"}, "collection": {"malware/cnc"}})
	require.Equal(t, http.StatusOK, status)
	start := sl.List["malware/cnc"]

	status, _, first := get(t, srv, "malware/cnc/updated", url.Values{"seqUpdate": {itoa(start)}, "limit": {"100"}})
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, first.Items, 100)
	assert.Equal(t, 150, first.Count, "count is what is still queued")

	got, cursor := drain(t, srv, "malware/cnc", start, 100)
	assert.Len(t, got, 250, "a full sync from before the history sees every item")
	assert.Equal(t, len(sim.Latest("malware/cnc")), len(got))

	// Updates re-emit items with a new seqUpdate; new items appear.
	clk.Advance(time.Hour)
	sim.Advance(40)
	again, _ := drain(t, srv, "malware/cnc", cursor, 7)
	latest := sim.Latest("malware/cnc")
	assert.Len(t, latest, 250+len(again)-countOld(again, got))
	for id := range again {
		_, known := got[id]
		if known {
			assert.Positive(t, latest[id].Revision, "a re-emitted item is a new revision")
		}
	}
	assert.NotEmpty(t, again)
}

func countOld(again, before map[string]int64) int {
	n := 0
	for id := range again {
		if _, ok := before[id]; ok {
			n++
		}
	}
	return n
}

func TestSequenceListByDate(t *testing.T) {
	_, srv, _ := newTestSim(t, Config{Items: 300, Collections: []string{"ioc/common"}})
	_, _, sl := get(t, srv, "sequence_list", url.Values{"date": {"2026-11-10"}})
	got, _ := drain(t, srv, "ioc/common", sl.List["ioc/common"], 100)
	assert.NotEmpty(t, got)
	assert.Less(t, len(got), 300, "only items updated since the date (the history spans 30 days)")
	status, _, p := get(t, srv, "sequence_list", url.Values{"date": {"10/11/2026"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.NotEmpty(t, p.Message)
}

func TestSearchSessions(t *testing.T) {
	_, srv, clk := newTestSim(t, Config{Items: 120, Collections: []string{"compromised/breached"}})
	status, _, p := get(t, srv, "compromised/breached", url.Values{"df": {"2026-10-01"}, "limit": {"50"}})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 120, p.Count)
	require.NotEmpty(t, p.ResultID)
	seen := len(p.Items)
	for range 10 {
		status, _, next := get(t, srv, "compromised/breached", url.Values{"resultId": {p.ResultID}})
		require.Equal(t, http.StatusOK, status)
		if len(next.Items) == 0 {
			break
		}
		seen += len(next.Items)
	}
	assert.Equal(t, 120, seen)

	_, _, p = get(t, srv, "compromised/breached", url.Values{"df": {"2026-10-01"}, "limit": {"50"}})
	clk.Advance(11 * time.Minute)
	status, _, expired := get(t, srv, "compromised/breached", url.Values{"resultId": {p.ResultID}})
	assert.Equal(t, http.StatusBadRequest, status, "a resultId dies after 10 idle minutes")
	assert.Contains(t, expired.Message, "expired")

	status, _, _ = get(t, srv, "compromised/breached/updated", nil)
	assert.Equal(t, http.StatusBadRequest, status, "search-only collections have no /updated")
}

func TestReaperServesAtMostSearchMax(t *testing.T) {
	_, srv, _ := newTestSim(t, Config{Items: 60, SearchMax: 25, Collections: []string{"compromised/reaper"}})
	_, _, p := get(t, srv, "compromised/reaper", url.Values{"df": {"2026-01-01"}, "limit": {"100"}})
	assert.Equal(t, 60, p.Count)
	assert.Len(t, p.Items, 25)
}

func TestAuthAndFaults(t *testing.T) {
	sim, srv, _ := newTestSim(t, Config{Items: 10, Collections: []string{"ioc/common"}})
	res, err := srv.Client().Get(srv.URL + apiPrefix + "ioc/common/updated")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)

	path := "ioc/common/updated"
	q := url.Values{"seqUpdate": {"0"}}
	sim.Inject(Fault{Kind: FaultTooManyRequests, Times: 2, RetryAfter: 3 * time.Second})
	for range 2 {
		status, h, _ := get(t, srv, path, q)
		assert.Equal(t, http.StatusTooManyRequests, status)
		assert.Equal(t, "3", h.Get("Retry-After"))
	}
	status, _, p := get(t, srv, path, q)
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, p.Items, 10)

	for kind, want := range map[FaultKind]int{FaultServerError: 503, FaultUnauthorized: 401, FaultForbidden: 403, FaultRedirect: 302} {
		sim.Inject(Fault{Kind: kind, Collection: "ioc/common"})
		status, _, _ := get(t, srv, path, q)
		assert.Equal(t, want, status, kind)
	}
	// A fresh connection per request: on a reused one Go's transport
	// transparently retries a GET whose connection closed before replying.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, kind := range []FaultKind{FaultReset, FaultTruncate} {
		sim.Inject(Fault{Kind: kind})
		req, _ := http.NewRequest(http.MethodGet, srv.URL+apiPrefix+path, nil)
		req.SetBasicAuth("user@example.com", "api-key")
		res, err := fresh.Do(req)
		if err == nil {
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		assert.Error(t, err, kind)
	}
	sim.Inject(Fault{Kind: FaultSlow, Delay: 50 * time.Millisecond})
	start := time.Now()
	status, _, _ = get(t, srv, path, q)
	assert.Equal(t, http.StatusOK, status)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
}

func TestItemByID(t *testing.T) {
	sim, srv, _ := newTestSim(t, Config{Items: 5, Collections: []string{"malware/cnc"}})
	for id := range sim.Latest("malware/cnc") {
		status, _, _ := get(t, srv, "malware/cnc/"+id, nil)
		assert.Equal(t, http.StatusOK, status)
	}
	status, _, _ := get(t, srv, "malware/cnc/nope", nil)
	assert.Equal(t, http.StatusNotFound, status)
}
