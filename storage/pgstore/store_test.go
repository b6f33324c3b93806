package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/storagetest"
	"github.com/stretchr/testify/require"
)

// pgBackend is one PostgreSQL schema of its own, dropped after the test:
// the conformance suite's stores, reopened there as often as asked.
type pgBackend struct{ url string }

func newBackend(t *testing.T) pgBackend { return pgBackend{url: testkit.PostgresSchema(t)} }

func (b pgBackend) Open(tb testing.TB, o storagetest.Options) storage.Store {
	s, err := Open(context.Background(), b.url, Options{Now: o.Now, MaxLimit: o.MaxLimit})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// The storage contract's conformance suite, on PostgreSQL.
func TestConformance(t *testing.T) {
	testkit.PostgresSchema(t) // skips, saying so, without a server
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return newBackend(t) })
}

// With a read URL, reads go there: here the same database under a
// connection that can only read, as a hot standby's would.
func TestReadURLServesReads(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	s, err := Open(ctx, b.url, Options{ReadURL: b.url + "&default_transaction_read_only=on"})
	require.NoError(t, err)
	defer s.Close()
	storagetest.MustCommit(t, s, "c", storagetest.Object(t, "indicator", 1, storagetest.T0))
	page := storagetest.MustRecords(t, s, storage.Query{Collection: "c"})
	require.Equal(t, []string{storagetest.ID("indicator", 1)}, storagetest.IDs(page))
	var readOnly string
	require.NoError(t, s.reads.QueryRow(ctx, "SHOW default_transaction_read_only").Scan(&readOnly))
	require.Equal(t, "on", readOnly, "the reads' pool is the read-only one")
}

// Several processes' stores writing one collection at once (the ingest
// leader, TAXII POSTs on every replica): every date_added is unique, and
// reading by date_added meets each version once, in the order the
// commits took their turn.
func TestRacingWritersKeepDateAddedUnique(t *testing.T) {
	b := newBackend(t)
	const writers, batches, per = 4, 25, 5
	errs := make(chan error, writers)
	for w := range writers {
		s := b.Open(t, storagetest.Options{})
		go func() {
			for i := range batches {
				var objs []storage.Object
				for j := range per {
					objs = append(objs, storagetest.Object(t, "indicator", (w*batches+i)*per+j, storagetest.T0))
				}
				if _, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "c", Objects: objs}}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		require.NoError(t, <-errs)
	}
	s := b.Open(t, storagetest.Options{})
	seen := map[string]bool{}
	var last time.Time
	q := storage.Query{Collection: "c", Limit: 7}
	for {
		p := storagetest.MustRecords(t, s, q)
		for _, r := range p.Records {
			require.False(t, seen[r.ID], "%s met twice", r.ID)
			seen[r.ID] = true
			require.True(t, r.DateAdded.After(last), "date_added increases")
			last = r.DateAdded
		}
		if !p.More {
			break
		}
		q.Resume = p.Next
	}
	require.Len(t, seen, writers*batches*per)
}

// A database of a newer gib-taxii is refused before anything is written
// to it; an older schema is brought up to date.
func TestSchemaVersions(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	s := b.Open(t, storagetest.Options{}).(*Store)
	_, err := s.pool.Exec(ctx, "UPDATE gib_meta SET value = '99' WHERE key = 'schema'")
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, "DROP TABLE ingest_lease")
	require.NoError(t, err)
	_, err = Open(ctx, b.url, Options{})
	require.ErrorIs(t, err, storage.ErrSchemaTooNew)
	var lease *string
	require.NoError(t, s.pool.QueryRow(ctx, "SELECT to_regclass('ingest_lease')::text").Scan(&lease))
	require.Nil(t, lease, "nothing was created in the newer database")

	_, err = s.pool.Exec(ctx, "UPDATE gib_meta SET value = '1' WHERE key = 'schema'")
	require.NoError(t, err)
	again, err := Open(ctx, b.url, Options{})
	require.NoError(t, err)
	defer again.Close()
	l, err := again.TryLease(ctx)
	require.NoError(t, err, "schema 2's lease table is there")
	require.NotNil(t, l)
	l.Release()
}
