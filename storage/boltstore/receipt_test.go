package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func TestReceiptCommittedWithObjects(t *testing.T) {
	clock := newClock()
	s := MustOpen(t, Options{Now: clock.Now})
	_, err := s.Receipt(context.Background(), "r1")
	require.ErrorIs(t, err, storage.ErrNotFound, "a store without receipts")

	obj := stix(t, "indicator", 1, t0)
	res, err := s.Commit(context.Background(), storage.Batch{
		Writes: []storage.Write{{Collection: "c", Objects: []storage.Object{obj, obj}}},
		Receipt: &storage.Receipt{Key: "r1", Owner: "alice", Expires: clock.Now().Add(time.Hour),
			Build: func(res storage.CommitResult) ([]byte, error) {
				return json.Marshal(map[string]int{"added": res.Added, "unchanged": res.Unchanged})
			}},
	})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Added)

	r, err := s.Receipt(context.Background(), "r1")
	require.NoError(t, err)
	assert.Equal(t, "alice", r.Owner)
	assert.JSONEq(t, `{"added":1,"unchanged":1}`, string(r.JSON), "built from what the commit did")
	assert.True(t, r.Expires.Equal(clock.Now().Add(time.Hour)))
}

// A receipt that cannot be built fails the whole commit: objects and
// receipt are one transaction.
func TestReceiptFailureRollsBackObjects(t *testing.T) {
	clock := newClock()
	s := MustOpen(t, Options{Now: clock.Now})
	_, err := s.Commit(context.Background(), storage.Batch{
		Writes: []storage.Write{{Collection: "c", Objects: []storage.Object{stix(t, "indicator", 1, t0)}}},
		Receipt: &storage.Receipt{Key: "r1", Build: func(storage.CommitResult) ([]byte, error) {
			return nil, fmt.Errorf("boom")
		}},
	})
	require.ErrorContains(t, err, "boom")
	assert.Empty(t, mustRecords(t, s, storage.Query{Collection: "c"}).Records)
	_, err = s.Receipt(context.Background(), "r1")
	require.ErrorIs(t, err, storage.ErrNotFound)

	// A key is used once.
	commit := func() error {
		_, err := s.Commit(context.Background(), storage.Batch{Receipt: &storage.Receipt{Key: "r2", Expires: clock.Now().Add(time.Hour), JSON: []byte(`{}`)}})
		return err
	}
	require.NoError(t, commit())
	require.ErrorContains(t, commit(), "already stored")
}

func TestReceiptsPrunedAfterExpiry(t *testing.T) {
	clock := newClock()
	s := MustOpen(t, Options{Now: clock.Now})
	put := func(key string, ttl time.Duration) {
		t.Helper()
		_, err := s.Commit(context.Background(), storage.Batch{Receipt: &storage.Receipt{Key: key, Expires: clock.Now().Add(ttl), JSON: []byte(`{}`)}})
		require.NoError(t, err)
	}
	n := receiptsPrunedPerCommit + 10
	for i := 0; i < n; i++ {
		put(fmt.Sprint("old", i), time.Hour)
	}
	put("long", 48*time.Hour)
	clock.Advance(2 * time.Hour)

	put("new1", time.Hour)
	left := 0
	for i := 0; i < n; i++ {
		if _, err := s.Receipt(context.Background(), fmt.Sprint("old", i)); err == nil {
			left++
		}
	}
	assert.Equal(t, 10, left, "one commit prunes a bounded number")
	put("new2", time.Hour)
	for i := 0; i < n; i++ {
		_, err := s.Receipt(context.Background(), fmt.Sprint("old", i))
		require.ErrorIs(t, err, storage.ErrNotFound)
	}
	for _, k := range []string{"long", "new1", "new2"} {
		_, err := s.Receipt(context.Background(), k)
		require.NoError(t, err, "%s has not expired", k)
	}
}

func TestCheckFindsBrokenReceipts(t *testing.T) {
	clock := newClock()
	s, err := Open(filepath.Join(t.TempDir(), "store.db"), Options{Now: clock.Now, NoSync: true})
	require.NoError(t, err)
	defer s.Close()
	for _, k := range []string{"a", "b"} {
		_, err := s.Commit(context.Background(), storage.Batch{Receipt: &storage.Receipt{Key: k, Expires: clock.Now().Add(time.Hour), JSON: []byte(`{}`)}})
		require.NoError(t, err)
	}
	rep, err := s.Check(context.Background(), CheckOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)

	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReceipts).Delete([]byte("a"))
	}))
	rep, err = s.Check(context.Background(), CheckOptions{})
	require.NoError(t, err)
	require.False(t, rep.OK())
	assert.Contains(t, strings.Join(rep.Problems, "\n"), "names no receipt")
	assert.Contains(t, strings.Join(rep.Problems, "\n"), "1 receipts, 2 expiry entries")
}

func TestPruneReceiptsWithoutWrites(t *testing.T) {
	clock := newClock()
	s := MustOpen(t, Options{Now: clock.Now})
	require.NoError(t, s.PruneReceipts(context.Background()), "a store without receipts")
	_, err := s.Commit(context.Background(), storage.Batch{Receipt: &storage.Receipt{Key: "a", Expires: clock.Now().Add(time.Hour), JSON: []byte(`{}`)}})
	require.NoError(t, err)
	require.NoError(t, s.PruneReceipts(context.Background()))
	_, err = s.Receipt(context.Background(), "a")
	require.NoError(t, err, "not expired yet")
	clock.Advance(2 * time.Hour)
	require.NoError(t, s.PruneReceipts(context.Background()))
	_, err = s.Receipt(context.Background(), "a")
	require.ErrorIs(t, err, storage.ErrNotFound)
}
