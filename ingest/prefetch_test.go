package ingest_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowCommits is the real store with commits that take a while, and a
// count of the /updated downloads that happened during one.
type slowCommits struct {
	*boltstore.Store
	e       *env
	commits atomic.Int64
	overlap atomic.Int64
}

// Commit counts a commit during which the next page was downloaded: the
// page downloads outnumber the pages committed, this one included.
func (s *slowCommits) Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error) {
	n := s.commits.Add(1)
	time.Sleep(40 * time.Millisecond)
	if int64(updatedDownloads(s.e)) > n {
		s.overlap.Add(1)
	}
	return s.Store.Commit(ctx, b)
}

// The next /updated page downloads while the current one is committed,
// and no page is fetched past the head: a pass over 50 items in pages of
// 10 downloads the five pages and the empty one at most.
func TestNextPageDownloadsDuringCommit(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 31, Items: 50, Collections: []string{"ioc/common"}})
	store := &slowCommits{Store: e.store, e: e}
	require.NoError(t, e.runner(runnerOpts{limit: 10, store: store}).RunOnce(context.Background()))
	e.assertInSync("ioc/common")
	assert.GreaterOrEqual(t, store.overlap.Load(), int64(3), "downloads overlapped commits")
	assert.LessOrEqual(t, updatedDownloads(e), 6)
	for _, q := range e.sim.Queries() {
		assert.NotContains(t, q, "limit=0", "%s", strings.TrimSpace(q))
	}
}
