package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A full sync of every collection of the catalogue lands every item, with
// the field drift of the real API switched on.
func TestFullSyncEveryCollection(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 1, Items: 60, Drift: 0.3})
	require.NoError(t, e.runner(runnerOpts{limit: 25}).RunOnce(context.Background()))
	require.Len(t, e.sim.Collections(), 35)
	for _, c := range e.sim.Collections() {
		e.assertInSync(c)
		st := e.state(c)
		assert.Equal(t, int64(60), st.Objects, "%s: %s", c, describe(st))
		assert.Zero(t, st.Skipped, c)
		assert.Zero(t, st.Queued, c)
		assert.Empty(t, st.LastError, c)
	}
	assert.Contains(t, e.logs.String(), "page committed")
}

// A restart resumes from the stored cursor: the next pass brings exactly
// what changed, with no gap and no duplicate version.
func TestRestartResumesFromCursor(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 2, Items: 50, Collections: []string{"ioc/common", "compromised/breached"}})
	require.NoError(t, e.runner(runnerOpts{}).RunOnce(context.Background()))
	before := map[string]int{}
	snapshot := map[string]map[string]gibsim.ItemState{}
	for _, c := range e.sim.Collections() {
		before[c] = e.allVersions(c)
		snapshot[c] = e.sim.Latest(c)
	}
	requests := e.sim.Requests()

	e.clock.Advance(time.Hour)
	e.sim.Advance(30)
	e.reopen() // restart
	require.NoError(t, e.runner(runnerOpts{}).RunOnce(context.Background()))
	for _, c := range e.sim.Collections() {
		e.assertInSync(c)
		// Each new or updated item is one new version (several updates of
		// one item within the same tick are one version).
		changed := 0
		for id, st := range e.sim.Latest(c) {
			if old, ok := snapshot[c][id]; !ok || old.Revision != st.Revision {
				changed++
			}
		}
		require.Positive(t, changed)
		assert.Equal(t, before[c]+changed, e.allVersions(c), "%s: no gap, no duplicate", c)
	}
	assert.Less(t, e.sim.Requests()-requests, int64(20), "the second pass did not start over")
}

// A process killed between fetch and commit loses nothing: the cursor was
// never committed without its objects.
func TestCrashBetweenFetchAndCommit(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 3, Items: 90, Collections: []string{"malware/cnc"}})
	ctx, cancel := context.WithCancel(context.Background())
	var mapped atomic.Int64
	crashing := mapperFunc(func(c string, item json.RawMessage) ([]json.RawMessage, error) {
		if mapped.Add(1) == 45 { // mid-page: the page was fetched, its commit will fail
			cancel()
		}
		return itemMapper{}.Map(c, item)
	})
	err := e.runner(runnerOpts{mapper: crashing, limit: 20}).RunOnce(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, len(e.stored("malware/cnc")), 90)
	assert.Equal(t, int64(40), e.state("malware/cnc").Items, "two full pages committed, the third not")

	e.reopen()
	require.NoError(t, e.runner(runnerOpts{limit: 20}).RunOnce(context.Background()))
	e.assertInSync("malware/cnc")
	assert.Equal(t, 90, e.allVersions("malware/cnc"), "no duplicate versions")
}

type mapperFunc func(string, json.RawMessage) ([]json.RawMessage, error)

func (f mapperFunc) MapObjects(c string, item json.RawMessage) ([]mapping.Object, error) {
	raws, err := f(c, item)
	return withHeads(raws), err
}

// Updated items produce new versions; unchanged re-deliveries none.
func TestVersionsFromUpdatesOnly(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 4, Items: 40, Collections: []string{"ioc/common"}})
	r := e.runner(runnerOpts{})
	require.NoError(t, r.RunOnce(context.Background()))
	objects := e.state("ioc/common").Objects

	// Forget the cursor: the whole feed is delivered again, unchanged.
	forget(t, e, "ioc/common")
	require.NoError(t, e.runner(runnerOpts{}).RunOnce(context.Background()))
	st := e.state("ioc/common")
	assert.Equal(t, int64(80), st.Items, "every item came twice")
	assert.Equal(t, objects, st.Objects, "and the re-delivery stored nothing")
	assert.Equal(t, 40, e.allVersions("ioc/common"))

	e.clock.Advance(time.Minute)
	e.sim.Advance(10)
	changed := 0
	for _, s := range e.sim.Latest("ioc/common") {
		if s.Revision > 0 || s.Updated.Equal(e.clock.Now()) {
			changed++ // updated, or new in this tick
		}
	}
	require.NoError(t, e.runner(runnerOpts{}).RunOnce(context.Background()))
	e.assertInSync("ioc/common")
	assert.Equal(t, 40+changed, e.allVersions("ioc/common"), "one new version per new or updated item")
}

// forget removes a collection's cursor (keeping nothing else), as if the
// state had been lost.
func forget(t *testing.T, e *env, collection string) {
	st := e.state(collection)
	st.SeqUpdate, st.Checkpoint = nil, nil
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, commitState(e, collection, raw))
}

// The real mapping engine on simulated items: no item of a mapped
// collection is skipped, and a collection without rules counts its items
// as skipped.
func TestShippedMappingOnSimulatedItems(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 5, Items: 30, Drift: 0.3, Collections: []string{"ioc/common", "malware/cnc", "apt/threat"}})
	mapper := shippedMapper(t)
	require.NoError(t, e.runner(runnerOpts{mapper: mapper}).RunOnce(context.Background()))
	for _, c := range e.sim.Collections() {
		st := e.state(c)
		assert.Zero(t, st.Skipped, "%s: %s", c, describe(st))
		assert.Greater(t, len(e.stored(c)), 30, "%s: objects, identity and markings", c)
	}
	noRules := mapperFunc(func(c string, item json.RawMessage) ([]json.RawMessage, error) {
		objs, err := mapper.MapObjects("no/such", item)
		var raws []json.RawMessage
		for _, o := range objs {
			raws = append(raws, o.JSON)
		}
		return raws, err
	})
	e2 := newEnv(t, gibsim.Config{Seed: 5, Items: 30, Collections: []string{"ioc/common"}})
	require.NoError(t, e2.runner(runnerOpts{mapper: noRules}).RunOnce(context.Background()))
	assert.Equal(t, int64(30), e2.state("ioc/common").Skipped, "no rule: items counted as skipped")
	assert.Contains(t, e2.logs.String(), "items skipped")
}

// Run keeps polling: new items flow in while it runs, and it stops when
// its context ends.
func TestRunKeepsPolling(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 10, Items: 20, Collections: []string{"malware/cnc"}})
	r := e.runnerWith(runnerOpts{}, func(c *ingest.CollectionConfig) { c.PollInterval = 10 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, func() bool { return e.state("malware/cnc").Items >= 20 })
	e.clock.Advance(time.Hour)
	e.sim.Advance(8)
	waitFor(t, func() bool { return len(e.stored("malware/cnc")) == len(e.sim.Latest("malware/cnc")) })
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	e.assertInSync("malware/cnc")
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("condition not met in 10s")
}

// A mapper that panics on an item skips that item; the page is committed.
func TestPanickingMapperSkipsTheItem(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 15, Items: 10, Collections: []string{"ioc/common"}})
	var n atomic.Int64 // mappers run concurrently
	mapper := mapperFunc(func(c string, item json.RawMessage) ([]json.RawMessage, error) {
		if n.Add(1) == 3 {
			panic("boom")
		}
		return itemMapper{}.Map(c, item)
	})
	require.NoError(t, e.runner(runnerOpts{mapper: mapper, limit: 100}).RunOnce(context.Background()))
	st := e.state("ioc/common")
	assert.Equal(t, int64(1), st.Skipped)
	assert.Equal(t, int64(10), st.Items)
	assert.Contains(t, e.logs.String(), "mapping panicked: boom")
}

// A one-off pass stops at the head it found: with items published faster
// than it reads, it once chased them for minutes.
func TestRunOnceStopsAtTheHeadItFound(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 23, Items: 40, Collections: []string{"ioc/common"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- e.sim.Run(simCtx, time.Millisecond, 20) }() // far faster than a page
	err := e.runner(runnerOpts{limit: 10}).RunOnce(ctx)
	stopSim()
	<-simDone
	require.NoError(t, err, "the pass ended by itself")
	// About the 40 items there were at the start, in pages of 10; whatever
	// the timing, far fewer than chasing 20 new items a millisecond.
	assert.LessOrEqual(t, updatedDownloads(e), 20)
	assert.Contains(t, e.logs.String(), "ingest pass started")
	assert.Contains(t, e.logs.String(), "ingest pass finished")
}

// An API page without count or total says nothing of the head: a one-off
// pass then reads until an empty page (it once stopped after the first).
func TestRunOnceWithoutCountReadsToTheEnd(t *testing.T) {
	var served atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/sequence_list") {
			fmt.Fprint(w, `{"list":{"ioc/common":0}}`)
			return
		}
		n := served.Add(1)
		if n > 3 {
			fmt.Fprintf(w, `{"seqUpdate":%d,"items":[]}`, n)
			return
		}
		fmt.Fprintf(w, `{"seqUpdate":%d,"items":[{"id":"item-%d","seqUpdate":%d}]}`, n, n, n)
	}))
	defer api.Close()
	e := newEnv(t, gibsim.Config{Seed: 1, Items: 1, Collections: []string{"ioc/common"}})
	e.url = api.URL + "/api/v2/"
	require.NoError(t, e.runner(runnerOpts{limit: 1}).RunOnce(context.Background()))
	assert.Equal(t, int64(4), served.Load(), "three pages of one item, then the empty page")
	assert.Len(t, e.stored("ioc/common"), 3)
}

// Where TAXII clients may write into a fed collection, a pushed object
// may hold an id and version Group-IB then sends with other content: the
// pushed one is kept, and the page says so in the log.
func TestConflictingObjectIsLogged(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 29, Items: 5, Collections: []string{"ioc/common"}})
	fixed := `{"type":"x-gib-item","spec_version":"2.1","id":"x-gib-item--0e0a1b2c-3d4e-4f50-8617-28394a5b6c7d","created":"2000-01-01T00:00:00.000Z","modified":"2000-01-01T00:00:00.000Z","x":%d}`
	pushed, err := storage.ParseObject([]byte(fmt.Sprintf(fixed, 0)))
	require.NoError(t, err)
	_, err = e.store.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "ioc/common", Objects: []storage.Object{pushed}}}})
	require.NoError(t, err)
	mapper := mapperFunc(func(c string, item json.RawMessage) ([]json.RawMessage, error) {
		return []json.RawMessage{json.RawMessage(fmt.Sprintf(fixed, 1))}, nil
	})
	require.NoError(t, e.runner(runnerOpts{mapper: mapper}).RunOnce(context.Background()))
	assert.Contains(t, e.logs.String(), "objects not stored: the collection holds other content under the same id and version")
	assert.Contains(t, e.logs.String(), "first_id=x-gib-item--0e0a1b2c-3d4e-4f50-8617-28394a5b6c7d")
	got := e.stored("ioc/common")
	require.Len(t, got, 1)
	assert.Contains(t, string(got[pushed.ID].JSON), `"x":0`, "the pushed object is kept")
}
