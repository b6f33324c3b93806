package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()

	start := time.Now()
	_, err = Open(path, Options{LockTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, storage.ErrLocked)
	assert.Contains(t, err.Error(), "database is locked by another gib-taxii")
	assert.Less(t, time.Since(start), 5*time.Second, "the second open gives up instead of hanging")
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte("99"))
	}))
	require.NoError(t, s.Close())

	_, err = Open(path, Options{})
	require.ErrorIs(t, err, storage.ErrSchemaTooNew)
	assert.Contains(t, err.Error(), "schema 99")
}

func TestPagingKeySurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	key := s.PagingKey()
	require.Len(t, key, 32)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, key, s.PagingKey())
}

func TestCursorCommittedWithObjects(t *testing.T) {
	s := MustOpen(t, Options{})
	ctx := context.Background()
	_, err := s.Cursor(ctx, "ioc/common")
	require.ErrorIs(t, err, storage.ErrNotFound)

	_, err = s.Commit(ctx, storage.Batch{
		Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{stix(t, "indicator", 1, t0)}}},
		Cursor: &storage.Cursor{Source: "ioc/common", State: []byte("seq=42")},
	})
	require.NoError(t, err)
	state, err := s.Cursor(ctx, "ioc/common")
	require.NoError(t, err)
	assert.Equal(t, "seq=42", string(state))
}

func TestFailedCommitLeavesNothing(t *testing.T) {
	s := MustOpen(t, Options{Now: newClock().Now})
	ctx := context.Background()
	mustCommit(t, s, "c1", stix(t, "indicator", 1, t0))

	_, err := s.Commit(ctx, storage.Batch{
		Writes: []storage.Write{
			{Collection: "c1", Objects: []storage.Object{stix(t, "indicator", 2, t0), stix(t, "indicator", 1, t0.Add(time.Hour))}},
			{Collection: "c2", Objects: []storage.Object{stix(t, "malware", 3, t0), {ID: "broken"}}},
		},
		Cursor: &storage.Cursor{Source: "ioc/common", State: []byte("seq=99")},
	})
	require.ErrorIs(t, err, storage.ErrInvalidObject)

	page := mustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	assert.Equal(t, []string{"indicator--00000001-0000-4000-8000-000000000000"}, ids(page), "c1 keeps only what was committed before")
	assert.Empty(t, mustRecords(t, s, storage.Query{Collection: "c2"}).Records)
	_, err = s.Cursor(ctx, "ioc/common")
	assert.ErrorIs(t, err, storage.ErrNotFound, "the cursor did not move")

	// The aborted transaction allocated no date_added: the next entry
	// follows the committed one directly on the unmoved clock.
	mustCommit(t, s, "c1", stix(t, "indicator", 2, t0))
	page = mustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 2)
	assert.Equal(t, page.Records[0].DateAdded.Add(time.Microsecond), page.Records[1].DateAdded)
}

func TestCommitHonoursCancelledContext(t *testing.T) {
	s := MustOpen(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Commit(ctx, storage.Batch{Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{stix(t, "indicator", 1, t0)}}}})
	assert.True(t, errors.Is(err, context.Canceled))
	_, err = s.Records(ctx, storage.Query{Collection: "c1"})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestDateAddedStrictlyIncreasingOnAFrozenClock(t *testing.T) {
	clk := newClock()
	s := MustOpen(t, Options{Now: clk.Now})
	var objs []storage.Object
	for i := range 50 {
		objs = append(objs, stix(t, "indicator", i, t0))
	}
	mustCommit(t, s, "c1", objs[:25]...)
	mustCommit(t, s, "c1", objs[25:]...) // same clock tick, next transaction
	clk.Advance(-time.Hour)              // the clock steps back
	mustCommit(t, s, "c1", stix(t, "indicator", 99, t0))

	page := mustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 51)
	first := page.Records[0].DateAdded
	assert.Equal(t, clk.Now().Add(time.Hour), first, "the first entry is stamped with the clock, not back-dated")
	for i := 1; i < len(page.Records); i++ {
		assert.Equal(t, page.Records[i-1].DateAdded.Add(time.Microsecond), page.Records[i].DateAdded,
			"entry %d is 1µs after the previous one", i)
	}
}

func TestDateAddedFollowsTheClock(t *testing.T) {
	clk := newClock()
	s := MustOpen(t, Options{Now: clk.Now})
	mustCommit(t, s, "c1", stix(t, "indicator", 1, t0))
	clk.Advance(1500 * time.Nanosecond)
	mustCommit(t, s, "c1", stix(t, "indicator", 2, t0))
	page := mustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 2)
	assert.Equal(t, clk.Now().Truncate(time.Microsecond), page.Records[1].DateAdded)
}

func TestObjectInSeveralCollections(t *testing.T) {
	s := MustOpen(t, Options{})
	obj := stix(t, "identity", 1, t0)
	res, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{
		{Collection: "c1", Objects: []storage.Object{obj}},
		{Collection: "c2", Objects: []storage.Object{obj}},
	}})
	require.NoError(t, err)
	assert.Equal(t, storage.CommitResult{Added: 2}, res)
	for _, c := range []string{"c1", "c2"} {
		page := mustRecords(t, s, storage.Query{Collection: c})
		require.Len(t, page.Records, 1, c)
		assert.JSONEq(t, string(obj.JSON), string(page.Records[0].JSON))
	}
}

func TestRewritingAVersionIsANoOp(t *testing.T) {
	clk := newClock()
	s := MustOpen(t, Options{Now: clk.Now})
	obj := stix(t, "indicator", 1, t0)
	assert.Equal(t, storage.CommitResult{Added: 1}, mustCommit(t, s, "c1", obj))
	before := mustRecords(t, s, storage.Query{Collection: "c1"}).Records[0].DateAdded

	clk.Advance(time.Minute)
	assert.Equal(t, storage.CommitResult{Unchanged: 1}, mustCommit(t, s, "c1", obj))
	assert.Equal(t, storage.CommitResult{Added: 1, Unchanged: 1}, mustCommit(t, s, "c1", obj, stix(t, "indicator", 1, t0.Add(time.Second))),
		"a later modified is a new version")

	all := mustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	require.Len(t, all.Records, 2)
	assert.Equal(t, before, all.Records[0].DateAdded, "the re-write did not re-stamp the old entry")
	assert.Equal(t, "2020-01-01T00:00:01.000Z", all.Records[1].VersionText)
}

func TestDuplicateWithinOneBatch(t *testing.T) {
	s := MustOpen(t, Options{})
	obj := stix(t, "indicator", 1, t0)
	assert.Equal(t, storage.CommitResult{Added: 1, Unchanged: 1}, mustCommit(t, s, "c1", obj, obj))
}

func TestCursorUpdateSeesTheBatchResult(t *testing.T) {
	s := MustOpen(t, Options{})
	ctx := context.Background()
	obj := stix(t, "indicator", 1, t0)
	for _, want := range []string{"added=2 unchanged=0", "added=0 unchanged=2"} {
		_, err := s.Commit(ctx, storage.Batch{
			Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{obj}}, {Collection: "c2", Objects: []storage.Object{obj}}},
			Cursor: &storage.Cursor{Source: "src", Update: func(r storage.CommitResult) ([]byte, error) {
				return []byte(fmt.Sprintf("added=%d unchanged=%d", r.Added, r.Unchanged)), nil
			}},
		})
		require.NoError(t, err)
		state, err := s.Cursor(ctx, "src")
		require.NoError(t, err)
		assert.Equal(t, want, string(state))
	}
	_, err := s.Commit(ctx, storage.Batch{
		Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{stix(t, "indicator", 2, t0)}}},
		Cursor: &storage.Cursor{Source: "src", Update: func(storage.CommitResult) ([]byte, error) { return nil, errors.New("no") }},
	})
	require.Error(t, err)
	assert.Len(t, mustRecords(t, s, storage.Query{Collection: "c1"}).Records, 1, "a failing Update rolls the writes back")
}

func TestCollectionIDIsGeneratedOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	ctx := context.Background()
	a, err := s.CollectionID(ctx, "gib/indicators")
	require.NoError(t, err)
	assert.True(t, storage.IsID("x-type--"+a), "a lower-case UUID")
	b, err := s.CollectionID(ctx, "gib/intel")
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	require.NoError(t, s.Close())

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	again, err := s.CollectionID(ctx, "gib/indicators")
	require.NoError(t, err)
	assert.Equal(t, a, again, "kept across restarts")
}

// A backup taken while the store is open is a store of its own.
func TestBackup(t *testing.T) {
	s := MustOpen(t, Options{})
	mustCommit(t, s, "c1", stix(t, "indicator", 1, t0), stix(t, "malware", 2, t0))
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	require.NoError(t, err)
	n, err := s.Backup(context.Background(), f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Positive(t, n)

	b, err := Open(path, Options{})
	require.NoError(t, err)
	defer b.Close()
	page, err := b.Records(context.Background(), storage.Query{Collection: "c1"})
	require.NoError(t, err)
	assert.Len(t, page.Records, 2)
	assert.Equal(t, s.PagingKey(), b.PagingKey(), "next tokens work on the restored copy")
}
