package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
// testdata/schema2.db and its records come from commit e0f8db2, the last
// with schema 2, and add SCOs, versions that arrived out of order, and
// deletes of a middle version, a whole object and the latest entry.
// testdata/schema3.db (commit 54be164, the last with schema 3) has the same
// history with indicators whose patterns carry the SCOs' values, and
// testdata/schema4.db (commit e9dfede, the last with schema 4) adds
// file-hash patterns, whose quoted path parts schema 4 indexed as values.
// Opened now, each migrates once, and serves the very same records, by
// every read path, with the same cursor, receipt and paging key.
func TestOlderStoresMigrate(t *testing.T) {
	for _, schema := range []string{"1", "2", "3", "4"} {
		t.Run("schema "+schema, func(t *testing.T) {
			path, want := copyFixture(t, schema)
			key := pagingKeyOf(t, path, schema)
			var log bytes.Buffer
			s, err := Open(path, Options{Now: newClock().Now, NoSync: true, migrateChunk: 7, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			require.NoError(t, err)
			defer s.Close()
			assert.Contains(t, log.String(), "level=WARN msg=\"moving the store to a new layout", "the operator hears why start-up waits")
			assert.Contains(t, log.String(), fmt.Sprintf("versions=%d", len(want)))
			assert.Contains(t, log.String(), "store moved to the new layout")
			log.Reset()
			require.NoError(t, s.Close())
			s, err = Open(path, Options{Now: newClock().Now, NoSync: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			require.NoError(t, err)
			assert.Empty(t, log.String(), "a store at the current schema opens silently")
			assert.Equal(t, key, s.PagingKey(), "clients' next tokens stay valid")
			assertMigrated(t, s, want)
			for _, junk := range []string{"sha-256", "md5"} {
				found, err := s.ValueRecords(context.Background(), "c1", junk, 10)
				require.NoError(t, err)
				assert.Empty(t, found, "%q is a path, not a value", junk)
			}
		})
	}
}

// A migration cut short (a crash between two of its transactions) leaves
// a file an older gib-taxii refuses, and that the next open finishes.
func TestMigrationResumesAfterACrash(t *testing.T) {
	path, want := copyFixture(t, "2")
	crash := errors.New("crash")
	chunks := 0
	_, err := Open(path, Options{Now: newClock().Now, NoSync: true, migrateChunk: 10, afterMigrateChunk: func() error {
		if chunks++; chunks == 4 {
			return crash
		}
		return nil
	}})
	require.ErrorIs(t, err, crash)
	// The Store is gone without Close, as in a crash: bbolt's lock went
	// with the file handle, which the error path closed.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		assert.Equal(t, strconv.Itoa(SchemaVersion), string(meta.Get(keySchema)), "an older gib-taxii refuses the half-moved file")
		assert.Equal(t, "2", string(meta.Get(keyMigrating)))
		n := collectionBucket(tx, "c1", bucketRecords).Stats().KeyN
		assert.Equal(t, 40, n, "four chunks of ten moved")
		assert.NotNil(t, collectionBucket(tx, "c1", bucketObjects), "the old layout stays until its collection is moved")
		return nil
	}))
	require.NoError(t, db.Close())

	var log bytes.Buffer
	s, err := Open(path, Options{Now: newClock().Now, NoSync: true, migrateChunk: 10, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer s.Close()
	assert.Contains(t, log.String(), fmt.Sprintf("versions=%d", len(want)-40), "what is left to move")
	assertMigrated(t, s, want)
}

func copyFixture(t *testing.T, schema string) (string, []storage.Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	raw, err := os.ReadFile("testdata/schema" + schema + ".db")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	var want []storage.Record
	b, err := os.ReadFile("testdata/schema" + schema + ".records.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &want))
	require.Greater(t, len(want), 40)
	return path, want
}

func pagingKeyOf(t *testing.T, path, schema string) []byte {
	t.Helper()
	old, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer old.Close()
	var key []byte
	require.NoError(t, old.View(func(tx *bolt.Tx) error {
		assert.Equal(t, schema, string(tx.Bucket(bucketMeta).Get(keySchema)), "the fixture's schema")
		switch schema {
		case "3":
			assert.Nil(t, collectionBucket(tx, "c1", bucketValues))
		case "4":
			k, _ := collectionBucket(tx, "c1", bucketValues).Cursor().Seek([]byte("sha-256\x00"))
			assert.True(t, bytes.HasPrefix(k, []byte("sha-256\x00")), "the fixture has the junk entries schema 5 drops")
		default:
			assert.NotNil(t, collectionBucket(tx, "c1", bucketObjects))
		}
		key = append([]byte(nil), tx.Bucket(bucketMeta).Get(keyPagingKey)...)
		return nil
	}))
	return key
}

// assertMigrated: the store is at the current schema with no trace of the
// old layout, and serves want (every version of c1 then c2) by every read
// path: all versions, first and last, match[id], match[type], paging.
func assertMigrated(t *testing.T, s *Store, want []storage.Record) {
	t.Helper()
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, strconv.Itoa(SchemaVersion), string(tx.Bucket(bucketMeta).Get(keySchema)))
		assert.Nil(t, tx.Bucket(bucketMeta).Get(keyMigrating))
		for _, c := range []string{"c1", "c2"} {
			for _, old := range [][]byte{bucketHistory, bucketObjects, bucketIndex} {
				assert.Nil(t, collectionBucket(tx, c, old), "%s: %s dropped", c, old)
			}
		}
		return nil
	}))
	byCollection := map[string][]storage.Record{}
	var got []storage.Record
	for _, c := range []string{"c1", "c2"} {
		p := mustRecords(t, s, storage.Query{Collection: c, Versions: storage.Versions{All: true}, Limit: 1000})
		byCollection[c] = p.Records
		got = append(got, p.Records...)
	}
	assertSameRecords(t, want, got)
	for c, all := range byCollection {
		versions := map[string][]storage.Record{}
		for _, r := range all {
			versions[r.ID] = append(versions[r.ID], r)
		}
		var firsts, lasts, indicators []storage.Record
		for _, r := range all {
			vs := versions[r.ID]
			slices.SortFunc(vs, func(a, b storage.Record) int { return a.Version.Compare(b.Version) })
			if vs[0].DateAdded.Equal(r.DateAdded) {
				firsts = append(firsts, r)
			}
			if vs[len(vs)-1].DateAdded.Equal(r.DateAdded) {
				lasts = append(lasts, r)
			}
			if strings.HasPrefix(r.ID, "indicator--") {
				indicators = append(indicators, r)
			}
		}
		assertSameRecords(t, firsts, mustRecords(t, s, storage.Query{Collection: c, Versions: storage.Versions{First: true}}).Records)
		assertSameRecords(t, lasts, mustRecords(t, s, storage.Query{Collection: c}).Records)
		assertSameRecords(t, indicators, mustRecords(t, s, storage.Query{Collection: c, Types: []string{"indicator"}, Versions: storage.Versions{All: true}}).Records)
		for id, vs := range versions {
			slices.SortFunc(vs, func(a, b storage.Record) int { return a.DateAdded.Compare(b.DateAdded) })
			assertSameRecords(t, vs, mustRecords(t, s, storage.Query{Collection: c, IDs: []string{id}, Versions: storage.Versions{All: true}}).Records)
		}
		// Paging by next, three at a time, walks the same records.
		var walked []storage.Record
		var pos storage.Position
		for range len(all) {
			p := mustRecords(t, s, storage.Query{Collection: c, Limit: 3, Resume: pos, Versions: storage.Versions{All: true}})
			walked = append(walked, p.Records...)
			if !p.More {
				break
			}
			pos = p.Next
		}
		assertSameRecords(t, all, walked)
	}
	// Every latest version is found by each value it carries.
	for c, all := range byCollection {
		latest := map[string]storage.Record{}
		for _, r := range all {
			if l, ok := latest[r.ID]; !ok || r.Version.After(l.Version) {
				latest[r.ID] = r
			}
		}
		for _, r := range latest {
			for _, v := range storage.IndexValues(r.ID[:strings.Index(r.ID, "--")], r.JSON) {
				found, err := s.ValueRecords(context.Background(), c, v, 100)
				require.NoError(t, err)
				assert.Contains(t, ids(storage.Page{Records: found}), r.ID, "%s carries %s", r.ID, v)
			}
		}
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

	// And it takes writes after the last date_added it ever gave, even
	// one a deletion removed.
	var latest time.Time
	for _, r := range byCollection["c1"] {
		latest = r.DateAdded
	}
	mustCommit(t, s, "c1", stix(t, "indicator", 500, t0))
	p := mustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: latest, Versions: storage.Versions{All: true}})
	require.Len(t, p.Records, 1)
	assert.Equal(t, stix(t, "indicator", 500, t0).ID, p.Records[0].ID)
	assert.True(t, p.Records[0].DateAdded.After(latest))
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

// A schema-2 file whose index misses a version its objects bucket holds is
// damage the page check cannot see: the move stops there, keeping the old
// layout, instead of dropping the version.
func TestMigrationRefusesAnIndexThatMissesVersions(t *testing.T) {
	path, _ := copyFixture(t, "2")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		index := collectionBucket(tx, "c1", bucketIndex)
		k, _ := index.Cursor().Seek([]byte{legacyAll, 0})
		return index.Delete(bytes.Clone(k))
	}))
	require.NoError(t, db.Close())
	_, err = Open(path, Options{Now: newClock().Now, NoSync: true})
	require.ErrorIs(t, err, storage.ErrCorrupt)
	assert.ErrorContains(t, err, "the old index names 59 versions, the objects bucket holds 60")
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, 60, collectionBucket(tx, "c1", bucketObjects).Stats().KeyN, "nothing dropped")
		return nil
	}))
}
