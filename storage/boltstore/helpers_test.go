package boltstore

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/require"
)

var dump = flag.Bool("dump", false, "keep the bbolt files of failed tests and print their paths")

func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// MustOpen opens a store in a temporary directory and, at cleanup, checks
// the file's consistency before closing it.
func MustOpen(tb testing.TB, opts Options) *Store {
	tb.Helper()
	dir := tb.TempDir()
	if *dump {
		d, err := os.MkdirTemp("", "boltstore-")
		require.NoError(tb, err)
		dir = d
	}
	opts.NoSync = true
	s, err := Open(filepath.Join(dir, "store.db"), opts)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		// Every test's store must pass bbolt's check and the store's own
		// invariants, object bodies included.
		if s.Fault() == nil {
			rep, err := s.Check(context.Background(), CheckOptions{Objects: true})
			require.NoError(tb, err)
			require.True(tb, rep.OK(), "check: %v", rep.Problems)
		}
		require.NoError(tb, s.Close())
		if *dump && tb.Failed() {
			tb.Logf("store kept at %s", dir)
		}
	})
	return s
}

// stix builds a parsed STIX object of the given type with a uuid derived
// from n and the given modified time.
func stix(tb testing.TB, typ string, n int, modified time.Time) storage.Object {
	tb.Helper()
	ts := modified.UTC().Format("2006-01-02T15:04:05.000Z")
	raw := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":"%s--%08x-0000-4000-8000-000000000000","created":"2020-01-01T00:00:00.000Z","modified":%q,"name":"n%d"}`,
		typ, typ, n, ts, n)
	obj, err := storage.ParseObject([]byte(raw))
	require.NoError(tb, err)
	return obj
}

var t0 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func mustCommit(tb testing.TB, s *Store, collection string, objs ...storage.Object) storage.CommitResult {
	tb.Helper()
	res, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: collection, Objects: objs}}})
	require.NoError(tb, err)
	return res
}

func mustRecords(tb testing.TB, s *Store, q storage.Query) storage.Page {
	tb.Helper()
	p, err := s.Records(context.Background(), q)
	require.NoError(tb, err)
	return p
}

func ids(p storage.Page) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.ID)
	}
	return out
}
