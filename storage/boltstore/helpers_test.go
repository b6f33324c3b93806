package boltstore

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/storagetest"
	"github.com/stretchr/testify/require"
	berrors "go.etcd.io/bbolt/errors"
)

var dump = flag.Bool("dump", false, "keep the bbolt files of failed tests and print their paths")

// The conformance suite's helpers, under the names this package's own
// tests use.
var (
	newClock    = storagetest.NewClock
	stix        = storagetest.Object
	id          = storagetest.ID
	ids         = storagetest.IDs
	t0          = storagetest.T0
	mustRecords = storagetest.MustRecords
)

func mustCommit(tb testing.TB, s *Store, collection string, objs ...storage.Object) storage.CommitResult {
	tb.Helper()
	return storagetest.MustCommit(tb, s, collection, objs...)
}

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
	return openChecked(tb, filepath.Join(dir, "store.db"), opts)
}

// openChecked opens the store at path and, at cleanup, checks the file's
// consistency (bbolt's pages and the store's invariants, object bodies
// included) before closing it.
func openChecked(tb testing.TB, path string, opts Options) *Store {
	tb.Helper()
	opts.NoSync = true
	s, err := Open(path, opts)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		if s.Fault() == nil {
			rep, err := s.Check(context.Background(), CheckOptions{Objects: true})
			if !errors.Is(err, berrors.ErrDatabaseNotOpen) { // closed by the test, to reopen the file
				require.NoError(tb, err)
				require.True(tb, rep.OK(), "check: %v", rep.Problems)
			}
		}
		require.NoError(tb, s.Close())
		if *dump && tb.Failed() {
			tb.Logf("store kept at %s", filepath.Dir(path))
		}
	})
	return s
}

// boltBackend opens the conformance suite's stores at one file.
type boltBackend struct{ path string }

func (b boltBackend) Open(tb testing.TB, o storagetest.Options) storage.Store {
	return openChecked(tb, b.path, Options{Now: o.Now, MaxLimit: o.MaxLimit})
}

// The storage contract's conformance suite, on bbolt files.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Backend {
		return boltBackend{path: filepath.Join(t.TempDir(), "store.db")}
	})
}
