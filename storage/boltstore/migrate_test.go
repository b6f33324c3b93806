package boltstore

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// testdata/schema1.db was written by the code of commit 62af0a7, the last
// with schema 1 (two collections, several versions, deletions, a cursor
// and a receipt), and schema1.records.json is every record it served.
// Opened now, it migrates once, and serves the very same records, by
// every read path, with the same cursor, receipt and paging key.
func TestSchema1StoreMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	raw, err := os.ReadFile("testdata/schema1.db")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	var want []storage.Record
	b, err := os.ReadFile("testdata/schema1.records.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &want))
	require.Greater(t, len(want), 40)

	old, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	var key []byte
	require.NoError(t, old.View(func(tx *bolt.Tx) error {
		assert.Equal(t, "1", string(tx.Bucket(bucketMeta).Get(keySchema)), "the fixture is a schema-1 file")
		assert.NotNil(t, collectionBucket(tx, "c1", bucketHistory))
		key = append([]byte(nil), tx.Bucket(bucketMeta).Get(keyPagingKey)...)
		return nil
	}))
	require.NoError(t, old.Close())

	s, err := Open(path, Options{Now: newClock().Now, NoSync: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, "2", string(tx.Bucket(bucketMeta).Get(keySchema)))
		for _, c := range []string{"c1", "c2"} {
			assert.Nil(t, collectionBucket(tx, c, bucketHistory), "%s: history dropped", c)
		}
		return nil
	}))
	assert.Equal(t, key, s.PagingKey(), "clients' next tokens stay valid")

	var got []storage.Record
	for _, c := range []string{"c1", "c2"} {
		got = append(got, mustRecords(t, s, storage.Query{Collection: c, Versions: storage.Versions{All: true}, Limit: 1000}).Records...)
	}
	assertSameRecords(t, want, got)
	// match[id] with every version reads what the history bucket served.
	for _, r := range want {
		if r.ID[:9] != "indicator" {
			continue
		}
		var all []storage.Record
		for _, w := range want {
			if w.ID == r.ID {
				all = append(all, w)
			}
		}
		p := mustRecords(t, s, storage.Query{Collection: "c1", IDs: []string{r.ID}, Versions: storage.Versions{All: true}})
		assertSameRecords(t, all, p.Records)
	}
	cur, err := s.Cursor(context.Background(), "gib:ioc/common")
	require.NoError(t, err)
	assert.Equal(t, `{"seq_update":9}`, string(cur))
	rec, err := s.Receipt(context.Background(), "api1/0f0e0d0c-0b0a-4909-8807-060504030201")
	require.NoError(t, err)
	assert.Equal(t, "alice", rec.Owner)
	rep, err := s.Check(context.Background(), CheckOptions{Objects: true})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%v", rep.Problems)

	// And it takes writes after the last date_added it ever gave.
	mustCommit(t, s, "c1", stix(t, "indicator", 500, t0))
	var latest time.Time // of c1, whose records come first
	for _, r := range want {
		if r.ID[:9] == "indicator" || r.ID[:7] == "malware" {
			latest = r.DateAdded
		}
	}
	p := mustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: latest.Add(-time.Microsecond), Versions: storage.Versions{All: true}})
	require.NotEmpty(t, p.Records)
	assert.Equal(t, stix(t, "indicator", 500, t0).ID, p.Records[len(p.Records)-1].ID)
}

func assertSameRecords(t *testing.T, want, got []storage.Record) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		assert.Equal(t, w.ID, g.ID, "record %d", i)
		assert.True(t, w.DateAdded.Equal(g.DateAdded), "record %d: date_added", i)
		assert.True(t, w.Version.Equal(g.Version), "record %d: version", i)
		assert.Equal(t, w.VersionText, g.VersionText)
		assert.Equal(t, w.SpecVersion, g.SpecVersion)
		assert.Equal(t, string(w.JSON), string(g.JSON))
	}
}

// A damaged schema-1 file is not migrated: opening it writes nothing, the
// store reports the damage and refuses writes, and the file stays as it
// was for analysis.
func TestDamagedSchema1StoreIsNotMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	raw, err := os.ReadFile("testdata/schema1.db")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	// Zero the root page of a collection's objects.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	var root int64
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		root = int64(collectionBucket(tx, "c1", bucketObjects).Root())
		return nil
	}))
	require.NoError(t, db.Close())
	require.NotZero(t, root)
	testkit.Overwrite(t, path, root*4096, make([]byte, 4096))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	s, err := Open(path, Options{Now: newClock().Now, NoSync: true})
	require.NoError(t, err)
	require.ErrorIs(t, s.Fault(), storage.ErrCorrupt)
	_, err = s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{stix(t, "indicator", 900, t0)}}}})
	require.ErrorIs(t, err, storage.ErrCorrupt, "writes refused")
	require.NoError(t, s.Close())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the file is as it was")
}
