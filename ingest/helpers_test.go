package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gibtaxii "github.com/gib-taxii/gib-taxii"
	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

var testNS = uuid.MustParse("0b3c7d1e-5f2a-4b6c-8d9e-1a2b3c4d5e6f")

// itemMapper maps every item of every collection to one custom STIX
// object whose id is derived from the item id and whose version is the
// item's update position: a test double for the mapping engine, so that
// the loop can be checked on collections the real mapper has no rule for.
type itemMapper struct{}

func (itemMapper) Map(collection string, item json.RawMessage) ([]json.RawMessage, error) {
	var h struct {
		ID         string `json:"id"`
		SeqUpdate  int64  `json:"seqUpdate"`
		UpdateTime string `json:"updateTime"`
		Datetime   string `json:"datetime"`
	}
	if err := json.Unmarshal(item, &h); err != nil {
		return nil, err
	}
	modified := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h.SeqUpdate) * time.Microsecond)
	// Search-only collections have no seqUpdate: their update time is the version.
	checkpoint := map[string]string{"compromised/breached": h.UpdateTime, "compromised/reaper": h.Datetime}[collection]
	if t, err := time.Parse(time.RFC3339, checkpoint); err == nil {
		modified = t.UTC()
	}
	obj := map[string]any{
		"type": "x-gib-item", "spec_version": "2.1", "id": itemObjectID(collection, h.ID),
		"created": "2000-01-01T00:00:00.000Z", "modified": modified.Format("2006-01-02T15:04:05.000Z"),
		"x_collection": collection, "x_item_id": h.ID,
	}
	b, err := json.Marshal(obj)
	return []json.RawMessage{b}, err
}

func (m itemMapper) MapObjects(collection string, item json.RawMessage) ([]mapping.Object, error) {
	raws, err := m.Map(collection, item)
	return withHeads(raws), err
}

// withHeads states each raw object's head, as the mapping engine does.
func withHeads(raws []json.RawMessage) []mapping.Object {
	out := make([]mapping.Object, len(raws))
	for i, raw := range raws {
		var h struct {
			ID, Type, Created, Modified string
			SpecVersion                 string `json:"spec_version"`
		}
		_ = json.Unmarshal(raw, &h)
		out[i] = mapping.Object{Head: mapping.Head{ID: h.ID, Type: h.Type, SpecVersion: h.SpecVersion, Created: h.Created, Modified: h.Modified}, JSON: raw}
	}
	return out
}

func itemObjectID(collection, id string) string {
	return "x-gib-item--" + uuid.NewSHA1(testNS, []byte(collection+"/"+id)).String()
}

// env is a simulator on loopback HTTP and a real store.
type env struct {
	t     *testing.T
	sim   *gibsim.Simulator
	url   string
	path  string
	store *boltstore.Store
	clock *testkit.Clock
	logs  *testkit.SyncBuffer
}

func newEnv(t *testing.T, cfg gibsim.Config) *env {
	clk := testkit.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	cfg.Now = clk.Now
	sim := gibsim.New(cfg)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: sim, url: srv.URL + "/api/v2/", path: filepath.Join(t.TempDir(), "store.db"), clock: clk, logs: &testkit.SyncBuffer{}}
	e.reopen()
	t.Cleanup(func() { _ = e.store.Close() })
	return e
}

// reopen closes and reopens the store, as a restart does.
func (e *env) reopen() {
	if e.store != nil {
		require.NoError(e.t, e.store.Close())
	}
	s, err := boltstore.Open(e.path, boltstore.Options{NoSync: true, MaxLimit: 10000})
	require.NoError(e.t, err)
	e.store = s
}

type runnerOpts struct {
	mapper      ingest.Mapper
	maxAttempts int
	timeout     time.Duration
	limit       int
	store       ingest.Store
	searchMax   int
}

// runner builds a runner over every simulated collection; collection c's
// objects go to the TAXII collection named c.
func (e *env) runner(o runnerOpts) *ingest.Runner {
	return e.runnerWith(o, nil)
}

// runnerWith is runner with a final edit of each collection's config.
func (e *env) runnerWith(o runnerOpts, edit func(*ingest.CollectionConfig)) *ingest.Runner {
	if o.mapper == nil {
		o.mapper = itemMapper{}
	}
	if o.maxAttempts == 0 {
		o.maxAttempts = 6
	}
	if o.store == nil {
		o.store = e.store
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := ingest.NewClient(ingest.ClientConfig{BaseURL: e.url, Username: "user@example.com", APIKey: "api-key",
		RateLimit: 10000, Burst: 100, MaxAttempts: o.maxAttempts, BackoffBase: 5 * time.Millisecond,
		BackoffMax: 20 * time.Millisecond, Timeout: o.timeout, Logger: log})
	require.NoError(e.t, err)
	var colls []ingest.CollectionConfig
	for _, name := range e.sim.Collections() {
		spec, _ := e.sim.Spec(name)
		colls = append(colls, ingest.CollectionConfig{Name: name, Search: spec.Mode == gibsim.ModeSearch,
			Lookback: 45 * 24 * time.Hour, Limit: o.limit, SearchMax: o.searchMax, Routes: []ingest.Route{{Collection: name}}})
		if edit != nil {
			edit(&colls[len(colls)-1])
		}
	}
	return ingest.NewRunner(ingest.RunnerConfig{Client: client, Store: o.store, Mapper: o.mapper, Collections: colls,
		Logger: log, Now: e.clock.Now, AccessPause: 50 * time.Millisecond, ErrorPause: 50 * time.Millisecond})
}

// stored returns the latest stored objects of a TAXII collection by id.
func (e *env) stored(collection string) map[string]storage.Record {
	out := map[string]storage.Record{}
	q := storage.Query{Collection: collection, Limit: 10000}
	for {
		page, err := e.store.Records(context.Background(), q)
		require.NoError(e.t, err)
		for _, r := range page.Records {
			out[r.ID] = r
		}
		if !page.More {
			return out
		}
		q.Resume = page.Next
	}
}

// allVersions counts every stored version of a collection.
func (e *env) allVersions(collection string) int {
	n := 0
	q := storage.Query{Collection: collection, Limit: 10000, Versions: storage.Versions{All: true}, WithoutObjects: true}
	for {
		page, err := e.store.Records(context.Background(), q)
		require.NoError(e.t, err)
		n += len(page.Records)
		if !page.More {
			return n
		}
		q.Resume = page.Next
	}
}

// assertInSync checks that a collection's store holds exactly the
// simulator's items, each at its latest version.
func (e *env) assertInSync(collection string) {
	e.t.Helper()
	latest := e.sim.Latest(collection)
	stored := e.stored(collection)
	require.Len(e.t, stored, len(latest), "%s: one object per item", collection)
	for id, st := range latest {
		rec, ok := stored[itemObjectID(collection, id)]
		require.True(e.t, ok, "%s: item %s stored", collection, id)
		want := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(st.SeqUpdate) * time.Microsecond).Truncate(time.Millisecond)
		if st.SeqUpdate == 0 {
			want = st.Updated.UTC()
		}
		require.Equal(e.t, want, rec.Version, "%s: item %s at its latest revision %d", collection, id, st.Revision)
	}
}

func (e *env) state(collection string) ingest.State {
	st, err := ingest.LoadState(context.Background(), e.store, collection)
	require.NoError(e.t, err)
	return st
}

func describe(st ingest.State) string { return fmt.Sprintf("%+v", st) }

func commitState(e *env, collection string, raw []byte) error {
	_, err := e.store.Commit(context.Background(), storage.Batch{Cursor: &storage.Cursor{Source: ingest.SourcePrefix + collection, State: raw}})
	return err
}

// shippedMapper is the mapping engine with the repository's mappings.yaml.
func shippedMapper(t testing.TB) ingest.Mapper {
	e, err := mapping.Parse("mappings.yaml", gibtaxii.DefaultMappings(), mapping.Options{})
	require.NoError(t, err)
	return e
}

// updatedDownloads counts the /updated pages the simulator served.
func updatedDownloads(e *env) int {
	n := 0
	for _, q := range e.sim.Queries() {
		if strings.Contains(q, "/updated?") {
			n++
		}
	}
	return n
}
