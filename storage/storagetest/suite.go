// Package storagetest is the conformance suite of the storage contract
// (storage.Store): the same tests, unchanged, for every backend. A
// backend's tests call Run with a way to open its stores.
package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/require"
)

// Options are what a test asks of the store it opens.
type Options struct {
	// Now is the clock date_added is taken from (default time.Now).
	Now func() time.Time
	// MaxLimit caps Query.Limit (default 1000).
	MaxLimit int
}

// Backend opens stores at one place (a file, a database schema): Open
// may be called again after the store it returned is closed, and sees
// what was committed before. The backend closes what is still open, and
// checks it if it can, when the test ends.
type Backend interface {
	Open(t testing.TB, o Options) storage.Store
}

// test is one conformance test.
type test struct {
	name string
	run  func(t *testing.T, b Backend)
}

// Run runs every conformance test, each on a fresh backend.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	for _, group := range [][]test{recordsTests, commitTests, deleteTests, receiptTests, flagsTests, valuesTests} {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend(t)) })
		}
	}
}

// NewClock is the clock of the tests: 2026-01-02T03:04:05Z, moved by hand.
func NewClock() *testkit.Clock { return testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// T0 is the modified time of the tests' first versions.
var T0 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// ID is the id Object gives object n of a type.
func ID(typ string, n int) string { return fmt.Sprintf("%s--%08x-0000-4000-8000-000000000000", typ, n) }

// Object builds a parsed STIX object of the given type with a uuid derived
// from n and the given modified time.
func Object(tb testing.TB, typ string, n int, modified time.Time) storage.Object {
	tb.Helper()
	ts := modified.UTC().Format("2006-01-02T15:04:05.000Z")
	raw := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":"%s","created":"2020-01-01T00:00:00.000Z","modified":%q,"name":"n%d"}`,
		typ, ID(typ, n), ts, n)
	obj, err := storage.ParseObject([]byte(raw))
	require.NoError(tb, err)
	return obj
}

// MustCommit commits objects to a collection.
func MustCommit(tb testing.TB, s storage.Store, collection string, objs ...storage.Object) storage.CommitResult {
	tb.Helper()
	res, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: collection, Objects: objs}}})
	require.NoError(tb, err)
	return res
}

// MustRecords reads one page.
func MustRecords(tb testing.TB, s storage.Store, q storage.Query) storage.Page {
	tb.Helper()
	p, err := s.Records(context.Background(), q)
	require.NoError(tb, err)
	return p
}

// IDs lists a page's ids in order.
func IDs(p storage.Page) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.ID)
	}
	return out
}
