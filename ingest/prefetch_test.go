package ingest_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowCommits is the real store with commits that take a while, and a
// count of the /updated downloads and mappings that happened during one.
type slowCommits struct {
	*boltstore.Store
	e            *env
	mapper       *countingMapper
	pageItems    int64
	commits      atomic.Int64
	overlap      atomic.Int64
	mappedDuring atomic.Int64
}

// Commit counts a commit during which the next page was downloaded (the
// page downloads outnumber the pages committed, this one included), and
// one during which it was mapped (more items mapped than in the pages
// committed, this one included).
func (s *slowCommits) Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error) {
	n := s.commits.Add(1)
	time.Sleep(40 * time.Millisecond)
	if int64(updatedDownloads(s.e)) > n {
		s.overlap.Add(1)
	}
	if s.mapper.items.Load() > n*s.pageItems {
		s.mappedDuring.Add(1)
	}
	return s.Store.Commit(ctx, b)
}

// countingMapper counts the items it maps.
type countingMapper struct {
	itemMapper
	items atomic.Int64
}

func (m *countingMapper) MapObjects(collection string, item json.RawMessage) ([]mapping.Object, error) {
	m.items.Add(1)
	return m.itemMapper.MapObjects(collection, item)
}

// The next /updated page downloads and is mapped while the current one is
// committed, and no page is fetched past the head: a pass over 50 items in
// pages of 10 downloads the five pages and the empty one at most.
func TestNextPageDownloadsDuringCommit(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 31, Items: 50, Collections: []string{"ioc/common"}})
	mapper := &countingMapper{}
	store := &slowCommits{Store: e.store, e: e, mapper: mapper, pageItems: 10}
	require.NoError(t, e.runner(runnerOpts{limit: 10, store: store, mapper: mapper}).RunOnce(context.Background()))
	e.assertInSync("ioc/common")
	assert.GreaterOrEqual(t, store.overlap.Load(), int64(3), "downloads overlapped commits")
	assert.GreaterOrEqual(t, store.mappedDuring.Load(), int64(3), "mapping overlapped commits")
	assert.Equal(t, int64(50), mapper.items.Load(), "each item mapped once")
	assert.LessOrEqual(t, updatedDownloads(e), 6)
	for _, q := range e.sim.Queries() {
		assert.NotContains(t, q, "limit=0", "%s", strings.TrimSpace(q))
	}
}
