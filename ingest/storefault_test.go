//go:build linux

package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnwritableStoreIsVisibleAndCostsNoDownloads: when the store file
// stops taking writes (a full disk, a filesystem remounted read-only), the
// failure must show in the runner's health at once although it cannot be
// recorded in the store, and the loop must retry the write, not the
// Group-IB download (each costs the customer's API quota). Once the file
// is writable again, ingest goes on from the page it holds.
func TestUnwritableStoreIsVisibleAndCostsNoDownloads(t *testing.T) {
	for _, fault := range []testkit.StoreFault{testkit.DiskFull, testkit.ReadOnly} {
		t.Run(string(fault), func(t *testing.T) {
			e := newEnv(t, gibsim.Config{Seed: 21, Items: 30, Collections: []string{"ioc/common"}})
			r := e.runnerWith(runnerOpts{limit: 10}, func(c *ingest.CollectionConfig) { c.PollInterval = 20 * time.Millisecond })
			restore := testkit.BreakWrites(t, e.path, fault)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = r.Run(ctx) }()
			defer func() { cancel(); <-done }()

			h := waitHealth(t, r, "ioc/common", func(st ingest.State) bool { return st.ConsecutiveErrors >= 5 })
			assert.True(t, h.LastErrorStore, "the failure is the store's: %+v", h)
			assert.Contains(t, h.LastError, "store")
			// One page, and the next one, fetched while the first write
			// was tried (ingest overlaps the two); the retries only
			// retried the write.
			assert.LessOrEqual(t, updatedDownloads(e), 2, "the retries only retried the write")
			assert.Zero(t, e.state("ioc/common").ConsecutiveErrors, "the store itself could record nothing")

			restore()
			waitHealth(t, r, "ioc/common", func(st ingest.State) bool { return st.ConsecutiveErrors == 0 && st.Queued == 0 && st.Items >= 30 })
			cancel()
			<-done
			e.assertInSync("ioc/common")
			// 30 items in pages of 10, then the empty page: four downloads
			// whatever the number of failed writes.
			assert.LessOrEqual(t, updatedDownloads(e), 5)
		})
	}
}

func waitHealth(t *testing.T, r *ingest.Runner, collection string, ok func(ingest.State) bool) ingest.State {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, found := r.Health()[collection]; found && ok(st) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.FailNow(t, "health never reached the expected state", "%+v", r.Health()[collection])
	return ingest.State{}
}
