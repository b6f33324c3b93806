package loadtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTAXII serves a collection of n objects, paged by an offset in next,
// with the faults a test asks for.
type fakeTAXII struct {
	n      int
	dup    bool // the second page of a walk starts with the first page's last object again
	skip   int  // from the second walk on, object skip is left out; -1: none
	noNext bool // more without next
	status int  // answer every objects request with this status, if set
	onPage func(n int)

	mu      sync.Mutex
	walks   int
	pages   int
	queries []url.Values
}

func (f *fakeTAXII) start(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /taxii2/", func(w http.ResponseWriter, r *http.Request) {
		writeFakeJSON(w, `{"title":"fake","default":"/api1/","api_roots":["/api1/","api2/"]}`)
	})
	mux.HandleFunc("GET /api1/collections/", func(w http.ResponseWriter, r *http.Request) {
		writeFakeJSON(w, `{"collections":[{"id":"c0","title":"Closed","can_read":false,"can_write":true},
			{"id":"c1","title":"Fake","alias":"fake","can_read":true,"can_write":false}]}`)
	})
	mux.HandleFunc("GET /taxii2/api2/collections/", func(w http.ResponseWriter, r *http.Request) {
		writeFakeJSON(w, `{"collections":[{"id":"c2","title":"Other","can_read":true,"can_write":false}]}`)
	})
	mux.HandleFunc("GET /api1/collections/c1/objects/", f.objects)
	mux.HandleFunc("GET /taxii2/api2/collections/c2/objects/", f.objects)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func writeFakeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", mediaTAXII)
	fmt.Fprint(w, body)
}

func (f *fakeTAXII) objects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.queries = append(f.queries, q)
	if q.Get("next") == "" {
		f.walks++
	}
	f.pages++
	walk, pages := f.walks, f.pages
	f.mu.Unlock()
	if f.onPage != nil {
		f.onPage(pages)
	}
	if f.status != 0 {
		http.Error(w, `{"title":"no","http_status":"`+strconv.Itoa(f.status)+`"}`, f.status)
		return
	}
	var all []int
	for i := range f.n {
		if i != f.skip || walk < 2 {
			all = append(all, i)
		}
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	off, _ := strconv.Atoi(q.Get("next"))
	page := all[off:min(off+limit, len(all))]
	if f.dup && off == limit {
		page = append([]int{all[off-1]}, page...)
	}
	more := off+limit < len(all)
	var objs []string
	for _, i := range page {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","description":"} \"{[","id":"indicator--%d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-0%dT00:00:00.000Z"}`, i, 1+i%9))
	}
	next := ""
	if more && !f.noNext {
		next = fmt.Sprintf(`,"next":"%d"`, off+limit)
	}
	writeFakeJSON(w, fmt.Sprintf(`{"more":%v,"objects":[%s]%s}`, more, strings.Join(objs, ","), next))
}

func runFake(t *testing.T, srv *httptest.Server, cfg Config) Report {
	t.Helper()
	cfg.URL = srv.URL + "/taxii2/"
	cfg.Duration = cmp.Or(cfg.Duration, time.Minute) // the requests end the run
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	return rep
}

// A server whose walks repeat an object across pages is caught, in every
// walk, and a healthy one's walks are identical.
func TestLoadtestWalkFindsDuplicates(t *testing.T) {
	f := &fakeTAXII{n: 10, dup: true, skip: -1}
	rep := runFake(t, f.start(t), Config{Mode: Walk, Limit: 3, Requests: 12}) // 3 walks of 4 pages
	require.NotNil(t, rep.Walks)
	w := *rep.Walks
	assert.Equal(t, int64(3), w.Complete)
	assert.Equal(t, int64(11), w.ObjectsMin, "10 objects, one twice")
	assert.Equal(t, int64(3), w.Duplicates, "one per walk")
	assert.Equal(t, int64(0), w.Gaps)
	assert.Equal(t, int64(2), w.Compared)
	assert.Equal(t, int64(2), w.Identical)
	assert.Equal(t, int64(0), rep.Errors.Total())
	assert.Equal(t, "requests", rep.Stopped)
	assert.Equal(t, "Fake", rep.Target.Title, "the first readable collection of the default API root")
}

// A server that leaves an object out of a walk is caught by comparing it
// with the walk before.
func TestLoadtestWalkFindsGaps(t *testing.T) {
	f := &fakeTAXII{n: 10, skip: 5}
	rep := runFake(t, f.start(t), Config{Mode: Walk, Limit: 3, Requests: 4 + 3 + 3})
	w := *rep.Walks
	assert.Equal(t, int64(3), w.Complete)
	assert.Equal(t, int64(1), w.Gaps, "walk 2 lacks object 5 that walk 1 had")
	assert.Equal(t, int64(0), w.Duplicates)
	assert.Equal(t, int64(2), w.Compared)
	assert.Equal(t, int64(1), w.Identical, "walks 2 and 3")
	assert.Equal(t, int64(9), w.ObjectsMin)
	assert.Equal(t, int64(10), w.ObjectsMax)
}

// Every page re-sends the filters and the limit, and all but the first of
// a walk the previous page's next, as taxii2client's as_pages does.
func TestLoadtestWalkResendsFilters(t *testing.T) {
	f := &fakeTAXII{n: 5, skip: -1}
	srv := f.start(t)
	rep := runFake(t, srv, Config{Mode: Walk, Limit: 2, Requests: 4, Collection: "Other",
		Filters: "match[type]=indicator&added_after=2026-01-01T00:00:00Z"})
	assert.Equal(t, srv.URL+"/taxii2/api2/collections/c2/", rep.Target.URL, "relative API root, found by title")
	var nexts []string
	for _, q := range f.queries {
		assert.Equal(t, "indicator", q.Get("match[type]"))
		assert.Equal(t, "2026-01-01T00:00:00Z", q.Get("added_after"))
		assert.Equal(t, "2", q.Get("limit"))
		nexts = append(nexts, q.Get("next"))
	}
	assert.Equal(t, []string{"", "2", "4", ""}, nexts)
	assert.Equal(t, int64(1), rep.Walks.Complete)
	assert.Equal(t, int64(1), rep.Walks.Unfinished)
}

// more without next would have taxii2client fetch the first page forever;
// each such page is an error and the walk starts again.
func TestLoadtestWalkMoreWithoutNext(t *testing.T) {
	f := &fakeTAXII{n: 5, skip: -1, noNext: true}
	rep := runFake(t, f.start(t), Config{Mode: Walk, Limit: 2, Requests: 3, Collection: "c1"})
	assert.Equal(t, int64(3), rep.Errors.MoreWithoutNext)
	assert.Equal(t, int64(3), rep.Walks.Aborted)
	assert.Equal(t, int64(3), rep.Pages)
}

func TestLoadtestCountsHTTPErrors(t *testing.T) {
	f := &fakeTAXII{n: 5, skip: -1, status: http.StatusServiceUnavailable}
	rep := runFake(t, f.start(t), Config{Clients: 3, Requests: 9, Collection: "fake"})
	assert.Equal(t, map[int]int64{503: 9}, rep.Errors.ByStatus)
	assert.Equal(t, int64(9), rep.Requests)
	assert.Equal(t, int64(0), rep.Pages)
	assert.Len(t, rep.Errors.Samples, 1)
	assert.Contains(t, rep.Errors.Samples[0], "503 Service Unavailable")
}

// Cancelling the context (ctrl-C) stops the run cleanly with what it did.
func TestLoadtestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeTAXII{n: 5, skip: -1, onPage: func(n int) {
		if n == 5 {
			cancel()
		}
	}}
	srv := f.start(t)
	rep, err := Run(ctx, Config{URL: srv.URL + "/taxii2/", Clients: 2, Duration: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, "interrupted", rep.Stopped)
	assert.LessOrEqual(t, rep.Requests+rep.Interrupted, int64(6))
	assert.Zero(t, rep.Errors.Total(), "requests cut off are not errors")
}

func TestLoadtestTimeout(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /c/objects/", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // answers only when the client gives up
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rep, err := Run(context.Background(), Config{Collection: srv.URL + "/c/", Requests: 2, Timeout: 20 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, int64(2), rep.Errors.Timeout)
}

func TestLoadtestFindsCollections(t *testing.T) {
	f := &fakeTAXII{n: 1, skip: -1}
	srv := f.start(t)
	cfg := Config{URL: srv.URL + "/taxii2/", Timeout: time.Minute}
	for name, want := range map[string]string{"c1": "c1", "fake": "c1", "Fake": "c1", "Other": "c2", "c2": "c2"} {
		cfg.Collection = name
		got, err := discover(context.Background(), srv.Client(), cfg)
		require.NoError(t, err, name)
		assert.Equal(t, want, got.ID, name)
	}
	cfg.Collection = "Closed"
	_, err := discover(context.Background(), srv.Client(), cfg)
	assert.ErrorContains(t, err, "can_read false")
	cfg.Collection = "nope"
	_, err = discover(context.Background(), srv.Client(), cfg)
	assert.ErrorContains(t, err, "c0 (Closed), c1 (Fake), c2 (Other)")
	cfg.URL = srv.URL + "/nothing/"
	cfg.Collection = ""
	_, err = discover(context.Background(), srv.Client(), cfg)
	assert.ErrorContains(t, err, "404")
}

func TestLoadtestConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no url":        {},
		"bad mode":      {URL: "http://x/", Mode: "all"},
		"limit in them": {URL: "http://x/", Filters: "limit=5"},
		"bad filters":   {URL: "http://x/", Filters: "a=%zz"},
		"negative":      {URL: "http://x/", Clients: -1},
	} {
		_, err := Run(context.Background(), cfg)
		assert.Error(t, err, name)
	}
}

func TestLoadtestWalkCheck(t *testing.T) {
	w := newWalkCheck(maphash.MakeSeed(), 3)
	for _, id := range []string{"a", "b", "a"} {
		w.add([]byte(id), []byte("v1"))
	}
	w.complete()
	w.add([]byte("a"), []byte("v2")) // a new version: no gap, not identical
	w.add(nil, nil)                  // no id: not tracked
	w.complete()
	for _, id := range []string{"a", "b", "c", "d"} { // over the limit
		w.add([]byte(id), []byte("v"))
	}
	w.complete()
	w.add([]byte("x"), nil)
	w.add([]byte("x"), nil)
	got := w.finish()
	assert.Equal(t, WalkStats{Complete: 3, Unfinished: 1, ObjectsMin: 2, ObjectsMax: 4, Duplicates: 2,
		Compared: 1, Gaps: 1, Untracked: 1, Unchecked: 1}, got)
}

func TestLoadtestReportOutput(t *testing.T) {
	f := &fakeTAXII{n: 4, skip: -1}
	rep := runFake(t, f.start(t), Config{Mode: Walk, Limit: 2, Requests: 4})
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	for _, want := range []string{"walk: 1 client, limit 2", "requests    4 (", "objects     8 (", "errors      none",
		"walks       2 complete (4 objects each)", "duplicates  0", "gaps        0 (", "1 pair compared, 1 identical", "tool CPU"} {
		assert.Contains(t, text.String(), want)
	}
	var js strings.Builder
	require.NoError(t, rep.WriteJSON(&js))
	var v struct {
		Requests int64
		Walks    WalkStats
		Latency  map[string]float64 `json:"latency_ms"`
	}
	require.NoError(t, json.Unmarshal([]byte(js.String()), &v))
	assert.Equal(t, int64(4), v.Requests)
	assert.Equal(t, int64(2), v.Walks.Complete)
	assert.Positive(t, v.Latency["max"])
}

// radixSort agrees with slices.Sort, below and above its cut-over to it.
func TestRadixSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 100, 4095, 4096, 100_000} {
		v := make([]uint64, n)
		for i := range v {
			v[i] = r.Uint64()
			if i%7 == 0 {
				v[i] &= 0xffff // small values and repeats too
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		radixSort(v, nil)
		require.Equal(t, want, v, "n=%d", n)
	}
}
