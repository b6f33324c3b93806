package boltstore

import (
	"context"
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
