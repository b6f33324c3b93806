package boltstore

import (
	"context"
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
