package testkit

import (
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// CompactBolt copies a bbolt file without its free pages, so that damage
// written into the copy lands on pages in use, and returns the copy's path
// and the bytes its pages take (the file may be longer).
func CompactBolt(tb testing.TB, src string) (path string, inUse int64) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "compact.db")
	from, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatalf("compact: %v", err)
	}
	defer from.Close()
	to, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatalf("compact: %v", err)
	}
	err = bolt.Compact(to, from, 1<<20)
	if err == nil {
		err = to.View(func(tx *bolt.Tx) error { inUse = tx.Size(); return nil })
	}
	if cerr := to.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("compact: %v", err)
	}
	return path, inUse
}

// Overwrite writes b into the file at path at the page boundary at or
// before off: what a failing disk or a torn copy does.
func Overwrite(tb testing.TB, path string, off int64, b []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatalf("overwrite: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off&^4095); err != nil {
		tb.Fatalf("overwrite: %v", err)
	}
}
