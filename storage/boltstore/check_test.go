package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
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

// filledStore commits versions of n objects in pages of 250 to two
// collections and returns the store (open) and its path.
func filledStore(t *testing.T, n int) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, Options{NoSync: true, Now: newClock().Now})
	require.NoError(t, err)
	for start := 0; start < n; start += 250 {
		var objs []storage.Object
		for i := start; i < min(start+250, n); i++ {
			objs = append(objs, stix(t, "indicator", i, t0), stix(t, "malware", i, t0.Add(time.Duration(i%3)*time.Hour)))
		}
		mustCommit(t, s, "c1", objs...)
		mustCommit(t, s, "c2", objs[:len(objs)/2]...)
	}
	return s, path
}

func TestCheckPassesAHealthyStore(t *testing.T) {
	s, _ := filledStore(t, 600)
	defer s.Close()
	mustCommit(t, s, "c1", stix(t, "indicator", 1, t0.Add(time.Hour)), stix(t, "indicator", 2, t0.Add(30*time.Minute)))
	rep, err := s.Check(context.Background(), CheckOptions{Objects: true})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%v", rep.Problems)
	assert.Equal(t, 2, rep.Collections)
	assert.Equal(t, 1200+600+2, rep.Versions)
	assert.NoError(t, s.Fault())
}

// Each case breaks one invariant behind the store's back; Check must name
// it, mark the store damaged and refuse writes from then on.
func TestCheckFindsBrokenInvariants(t *testing.T) {
	cases := map[string]struct {
		breakIt func(tx *bolt.Tx) error
		want    string
	}{
		"types entry removed": {func(tx *bolt.Tx) error {
			b := collectionBucket(tx, "c1", bucketTypes)
			k, _ := b.Cursor().First()
			return b.Delete(append([]byte(nil), k...))
		}, "has no types entry"},
		"values entry removed": {func(tx *bolt.Tx) error {
			cw, err := openCollectionWriter(tx, "c1")
			require.NoError(t, err)
			cw.now = func() stamp { return stampOf(time.Now()) }
			ip, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
			require.NoError(t, err)
			_, added, err := cw.put(ip)
			require.NoError(t, err)
			return cw.values.Delete(valueKey("198.51.100.7", added))
		}, `has no values entry for "198.51.100.7"`},
		"types entry for a missing record": {func(tx *bolt.Tx) error {
			return collectionBucket(tx, "c1", bucketTypes).Put(typeKey("indicator", stampOf(t0)), nil)
		}, "entries in types"},
		"ids entry names another record": {func(tx *bolt.Tx) error {
			b := collectionBucket(tx, "c1", bucketIDs)
			k, _ := b.Cursor().First()
			return b.Put(append([]byte(nil), k...), stampOf(t0).appendTo(nil))
		}, "the ids entry names"},
		"a schema-2 objects bucket left": {func(tx *bolt.Tx) error {
			_, err := tx.Bucket(bucketCollections).Bucket([]byte("c1")).CreateBucket(bucketObjects)
			return err
		}, "objects bucket"},
		"last flag on an older version": {func(tx *bolt.Tx) error {
			// Malware 1 is stored at +1h (filledStore gives i%3 hours); a
			// newer version takes the flag, then the old one gets it back.
			cw, err := openCollectionWriter(tx, "c1")
			require.NoError(t, err)
			cw.now = func() stamp { return stampOf(time.Now()) }
			old := stix(t, "malware", 1, t0.Add(time.Hour))
			v := cw.ids.Get(idKey(old.ID, stampOf(old.Version)))
			require.Len(t, v, 8)
			_, _, err = cw.put(stix(t, "malware", 1, t0.Add(5*time.Hour)))
			require.NoError(t, err)
			return cw.setFlag(stampAt(v), flagLast, true)
		}, "last flag true, but it is the last version: false"},
		"object body swapped": {func(tx *bolt.Tx) error {
			b := collectionBucket(tx, "c1", bucketRecords)
			k, v := b.Cursor().First()
			rec, err := decodeRecord(v)
			require.NoError(t, err)
			other := stix(t, "indicator", 12345, t0)
			val, err := encodeRecord(rec.flags, rec.version, string(rec.id), "2.1", other.VersionText, other.JSON)
			require.NoError(t, err)
			return b.Put(append([]byte(nil), k...), val)
		}, "holds indicator--00003039"},
		"collection id reused": {func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketCollectionIDs)
			if err := b.Put([]byte("gib/a"), []byte("5f0c3f6e-4a0b-4c8e-9d7e-2b1a0c9d8e7f")); err != nil {
				return err
			}
			return b.Put([]byte("gib/b"), []byte("5f0c3f6e-4a0b-4c8e-9d7e-2b1a0c9d8e7f"))
		}, "given to both"},
		"record that does not decode": {func(tx *bolt.Tx) error {
			b := collectionBucket(tx, "c1", bucketRecords)
			k, _ := b.Cursor().First()
			return b.Put(append([]byte(nil), k...), []byte{9})
		}, "malformed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := filledStore(t, 300)
			defer s.Close()
			require.NoError(t, s.db.Update(tc.breakIt))
			rep, err := s.Check(context.Background(), CheckOptions{Objects: true})
			require.NoError(t, err)
			require.False(t, rep.OK())
			assert.Contains(t, rep.Problems[0], tc.want, "%v", rep.Problems)
			assert.ErrorIs(t, s.Fault(), storage.ErrCorrupt)
			_, err = s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "c1",
				Objects: []storage.Object{stix(t, "indicator", 777777, t0)}}}})
			assert.ErrorIs(t, err, storage.ErrCorrupt, "a damaged store refuses writes")
		})
	}
}

// TestDamagedPagesNeverCrash overwrites 64 KiB in the middle of a store
// file with zeros, 0xff or random bytes, as a failing disk or a bad copy
// would. Whatever bbolt meets (a page of the wrong kind, a page number past
// the end of the map), every operation must return an error wrapping
// storage.ErrCorrupt, never panic or fault, and the damage must be found.
func TestDamagedPagesNeverCrash(t *testing.T) {
	for _, fill := range []string{"zeros", "ones", "random"} {
		for _, at := range []float64{0.3, 0.5, 0.7} {
			t.Run(fmt.Sprintf("%s at %.1f", fill, at), func(t *testing.T) { damageAndUse(t, fill, at) })
		}
	}
}

func damageAndUse(t *testing.T, fill string, at float64) {
	s, loose := filledStore(t, 2000)
	require.NoError(t, s.Close())
	path, inUse := testkit.CompactBolt(t, loose)
	damage(t, path, fill, int64(float64(inUse)*at))

	s, err := Open(path, Options{})
	if err != nil {
		require.ErrorIs(t, err, storage.ErrCorrupt, "open may refuse, but as damage: %v", err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	var errs []error
	for _, c := range []string{"c1", "c2"} {
		var pos storage.Position
		for range 100 {
			p, err := s.Records(ctx, storage.Query{Collection: c, Limit: 100, Resume: pos, Versions: storage.Versions{All: true}})
			if err != nil {
				errs = append(errs, err)
				break
			}
			if !p.More {
				break
			}
			pos = p.Next
		}
	}
	_, err = s.Commit(ctx, storage.Batch{Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{stix(t, "indicator", 999999, t0)}}}})
	errs = append(errs, err)
	rep, cerr := s.Check(ctx, CheckOptions{Objects: true})
	require.NoError(t, cerr)
	assert.False(t, rep.OK(), "check must find 64 KiB of damage")
	for _, err := range errs {
		if err != nil {
			assert.ErrorIs(t, err, storage.ErrCorrupt)
		}
	}
	assert.ErrorIs(t, s.Fault(), storage.ErrCorrupt)
	assert.Contains(t, s.Fault().Error(), path, "the error names the file")
	assert.Contains(t, s.Fault().Error(), "restore", "and says what to do")
}

// damage overwrites 64 KiB at off with zeros, 0xff or random bytes.
func damage(t *testing.T, path, fill string, off int64) {
	t.Helper()
	buf := make([]byte, 64<<10)
	switch fill {
	case "ones":
		for i := range buf {
			buf[i] = 0xff
		}
	case "random":
		r := rand.New(rand.NewPCG(1, 2))
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
	}
	testkit.Overwrite(t, path, off, buf)
}

// TestPageNumberPastTheEnd: a branch element naming a page past the end of
// the file (a flipped bit in a page number) makes bbolt read outside its
// memory map. bbolt's own Check does that in a goroutine of its own, where
// the fault would kill the process; Check must find it first, as damage.
func TestPageNumberPastTheEnd(t *testing.T) {
	s, loose := filledStore(t, 3000)
	require.NoError(t, s.Close())
	path, _ := testkit.CompactBolt(t, loose)
	patchBranch(t, path, 0x100000)

	s, err := Open(path, Options{})
	require.NoError(t, err, "the meta pages and the freelist are intact")
	defer s.Close()
	rep, err := s.Check(context.Background(), CheckOptions{})
	require.NoError(t, err)
	assert.False(t, rep.OK())
	assert.ErrorIs(t, s.Fault(), storage.ErrCorrupt)
	_, err = s.Records(context.Background(), storage.Query{Collection: "c1", Limit: 1000, Versions: storage.Versions{All: true}})
	if err != nil {
		assert.ErrorIs(t, err, storage.ErrCorrupt)
	}
}

// patchBranch sets the page number of the first element of the first
// branch page of a bbolt file.
func patchBranch(t *testing.T, path string, pgid uint64) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	const pageSize, branchFlag = 4096, 0x01
	for off := 2 * pageSize; off+pageSize <= len(raw); off += pageSize {
		if binary.LittleEndian.Uint16(raw[off+8:]) == branchFlag && binary.LittleEndian.Uint16(raw[off+10:]) > 0 {
			binary.LittleEndian.PutUint64(raw[off+16+8:], pgid) // header 16 bytes, element: pos, ksize, pgid
			require.NoError(t, os.WriteFile(path, raw, 0o600))
			return
		}
	}
	t.Fatal("no branch page")
}

// A panic that is not the file's doing (a bug in a caller's callback)
// goes on up: it must not be reported as a damaged store, which would
// send the operator to restore a backup for nothing.
func TestBugPanicIsNotDamage(t *testing.T) {
	s := MustOpen(t, Options{})
	assert.PanicsWithValue(t, "boom", func() {
		_, _ = s.Commit(context.Background(), storage.Batch{Cursor: &storage.Cursor{Source: "x",
			Update: func(storage.CommitResult) ([]byte, error) { panic("boom") }}})
	})
	assert.NoError(t, s.Fault())
	mustCommit(t, s, "c1", stix(t, "indicator", 1, t0))
}

// Opening a store that exists writes nothing: status, export and check
// must leave a damaged file as it was, for analysis.
func TestOpenWritesNothing(t *testing.T) {
	s, path := filledStore(t, 10)
	_, err := s.CollectionID(context.Background(), "gib/feed")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	s, err = Open(path, Options{})
	require.NoError(t, err)
	_, err = s.CollectionID(context.Background(), "gib/feed")
	require.NoError(t, err)
	_, err = s.Check(context.Background(), CheckOptions{Objects: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(before, after), "the file changed")
}

// A page check while writes commit finds nothing: the writes wait for it
// (bbolt's own check would report the pages they free as reachable and
// freed, and the store would be marked damaged).
func TestCheckWhileWriting(t *testing.T) {
	s := MustOpen(t, Options{Now: newClock().Now})
	for i := 0; i < 50; i++ {
		mustCommit(t, s, "c", stix(t, "indicator", i, t0))
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			_, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "c",
				Objects: []storage.Object{stix(t, "indicator", i%50, t0.Add(time.Duration(i+1)*time.Second))}}}})
			if err != nil {
				done <- err
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		rep, err := s.Check(context.Background(), CheckOptions{SkipInvariants: true})
		require.NoError(t, err)
		require.True(t, rep.OK(), "check %d: %v", i, rep.Problems)
	}
	close(stop)
	require.NoError(t, <-done)
}

// With HoldWrites, nothing is written before the first page check: a
// write waits for it, and fails if the check finds the file damaged.
func TestHoldWritesUntilChecked(t *testing.T) {
	for _, damaged := range []bool{false, true} {
		s, err := Open(filepath.Join(t.TempDir(), "store.db"), Options{Now: newClock().Now, NoSync: true})
		require.NoError(t, err)
		s.HoldWrites()
		s.HoldWrites() // twice is once
		done := make(chan error, 1)
		go func() {
			_, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "c",
				Objects: []storage.Object{stix(t, "indicator", 1, t0)}}}})
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("a write went through before the check: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if damaged {
			// As a check that finds damage leaves it: the fault recorded
			// while the gate is held.
			unlock := s.lockWrites()
			s.damaged("test: damage found")
			unlock()
			require.ErrorIs(t, <-done, storage.ErrCorrupt, "the waiting write sees the damage")
		} else {
			rep, err := s.Check(context.Background(), CheckOptions{SkipInvariants: true})
			require.NoError(t, err)
			require.True(t, rep.OK())
			require.NoError(t, <-done)
			// Later checks take the gate as usual.
			_, err = s.Check(context.Background(), CheckOptions{SkipInvariants: true})
			require.NoError(t, err)
			mustCommit(t, s, "c", stix(t, "indicator", 2, t0))
		}
		require.NoError(t, s.Close())
	}
	// Closed before any check: the gate is released, Close does not hang.
	s, err := Open(filepath.Join(t.TempDir(), "store.db"), Options{NoSync: true})
	require.NoError(t, err)
	s.HoldWrites()
	require.NoError(t, s.Close())
}
