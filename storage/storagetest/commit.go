package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testPagingKeySurvivesReopen(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	key := s.PagingKey()
	require.Len(t, key, 32)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	s = b.Open(t, Options{})
	assert.Equal(t, key, s.PagingKey())
}

func testCursorCommittedWithObjects(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	ctx := context.Background()
	_, err := s.Cursor(ctx, "ioc/common")
	require.ErrorIs(t, err, storage.ErrNotFound)

	_, err = s.Commit(ctx, storage.Batch{
		Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{Object(t, "indicator", 1, T0)}}},
		Cursor: &storage.Cursor{Source: "ioc/common", State: []byte("seq=42")},
	})
	require.NoError(t, err)
	state, err := s.Cursor(ctx, "ioc/common")
	require.NoError(t, err)
	assert.Equal(t, "seq=42", string(state))
}

func testFailedCommitLeavesNothing(t *testing.T, b Backend) {
	s := b.Open(t, Options{Now: NewClock().Now})
	ctx := context.Background()
	MustCommit(t, s, "c1", Object(t, "indicator", 1, T0))

	_, err := s.Commit(ctx, storage.Batch{
		Writes: []storage.Write{
			{Collection: "c1", Objects: []storage.Object{Object(t, "indicator", 2, T0), Object(t, "indicator", 1, T0.Add(time.Hour))}},
			{Collection: "c2", Objects: []storage.Object{Object(t, "malware", 3, T0), {ID: "broken"}}},
		},
		Cursor: &storage.Cursor{Source: "ioc/common", State: []byte("seq=99")},
	})
	require.ErrorIs(t, err, storage.ErrInvalidObject)

	page := MustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	assert.Equal(t, []string{"indicator--00000001-0000-4000-8000-000000000000"}, IDs(page), "c1 keeps only what was committed before")
	assert.Empty(t, MustRecords(t, s, storage.Query{Collection: "c2"}).Records)
	_, err = s.Cursor(ctx, "ioc/common")
	assert.ErrorIs(t, err, storage.ErrNotFound, "the cursor did not move")

	// The aborted transaction allocated no date_added: the next entry
	// follows the committed one directly on the unmoved clock.
	MustCommit(t, s, "c1", Object(t, "indicator", 2, T0))
	page = MustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 2)
	assert.Equal(t, page.Records[0].DateAdded.Add(time.Microsecond), page.Records[1].DateAdded)
}

func testCommitHonoursCancelledContext(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Commit(ctx, storage.Batch{Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{Object(t, "indicator", 1, T0)}}}})
	assert.True(t, errors.Is(err, context.Canceled))
	_, err = s.Records(ctx, storage.Query{Collection: "c1"})
	assert.ErrorIs(t, err, context.Canceled)
}

func testDateAddedStrictlyIncreasingOnAFrozenClock(t *testing.T, b Backend) {
	clk := NewClock()
	s := b.Open(t, Options{Now: clk.Now})
	var objs []storage.Object
	for i := range 50 {
		objs = append(objs, Object(t, "indicator", i, T0))
	}
	MustCommit(t, s, "c1", objs[:25]...)
	MustCommit(t, s, "c1", objs[25:]...) // same clock tick, next transaction
	clk.Advance(-time.Hour)              // the clock steps back
	MustCommit(t, s, "c1", Object(t, "indicator", 99, T0))

	page := MustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 51)
	first := page.Records[0].DateAdded
	assert.Equal(t, clk.Now().Add(time.Hour), first, "the first entry is stamped with the clock, not back-dated")
	for i := 1; i < len(page.Records); i++ {
		assert.Equal(t, page.Records[i-1].DateAdded.Add(time.Microsecond), page.Records[i].DateAdded,
			"entry %d is 1µs after the previous one", i)
	}
}

func testDateAddedFollowsTheClock(t *testing.T, b Backend) {
	clk := NewClock()
	s := b.Open(t, Options{Now: clk.Now})
	MustCommit(t, s, "c1", Object(t, "indicator", 1, T0))
	clk.Advance(1500 * time.Nanosecond)
	MustCommit(t, s, "c1", Object(t, "indicator", 2, T0))
	page := MustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 2)
	assert.Equal(t, clk.Now().Truncate(time.Microsecond), page.Records[1].DateAdded)
}

func testObjectInSeveralCollections(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	obj := Object(t, "identity", 1, T0)
	res, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{
		{Collection: "c1", Objects: []storage.Object{obj}},
		{Collection: "c2", Objects: []storage.Object{obj}},
	}})
	require.NoError(t, err)
	assert.Equal(t, storage.CommitResult{Added: 2}, res)
	for _, c := range []string{"c1", "c2"} {
		page := MustRecords(t, s, storage.Query{Collection: c})
		require.Len(t, page.Records, 1, c)
		assert.JSONEq(t, string(obj.JSON), string(page.Records[0].JSON))
	}
}

func testRewritingAVersionIsANoOp(t *testing.T, b Backend) {
	clk := NewClock()
	s := b.Open(t, Options{Now: clk.Now})
	obj := Object(t, "indicator", 1, T0)
	assert.Equal(t, storage.CommitResult{Added: 1}, MustCommit(t, s, "c1", obj))
	before := MustRecords(t, s, storage.Query{Collection: "c1"}).Records[0].DateAdded

	clk.Advance(time.Minute)
	assert.Equal(t, storage.CommitResult{Unchanged: 1}, MustCommit(t, s, "c1", obj))
	assert.Equal(t, storage.CommitResult{Added: 1, Unchanged: 1}, MustCommit(t, s, "c1", obj, Object(t, "indicator", 1, T0.Add(time.Second))),
		"a later modified is a new version")

	all := MustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	require.Len(t, all.Records, 2)
	assert.Equal(t, before, all.Records[0].DateAdded, "the re-write did not re-stamp the old entry")
	assert.Equal(t, "2020-01-01T00:00:01.000Z", all.Records[1].VersionText)
}

func testDuplicateWithinOneBatch(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	obj := Object(t, "indicator", 1, T0)
	assert.Equal(t, storage.CommitResult{Added: 1, Unchanged: 1}, MustCommit(t, s, "c1", obj, obj))
}

func testCursorUpdateSeesTheBatchResult(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	ctx := context.Background()
	obj := Object(t, "indicator", 1, T0)
	for _, want := range []string{"added=2 unchanged=0", "added=0 unchanged=2"} {
		_, err := s.Commit(ctx, storage.Batch{
			Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{obj}}, {Collection: "c2", Objects: []storage.Object{obj}}},
			Cursor: &storage.Cursor{Source: "src", Update: func(r storage.CommitResult) ([]byte, error) {
				return []byte(fmt.Sprintf("added=%d unchanged=%d", r.Added, r.Unchanged)), nil
			}},
		})
		require.NoError(t, err)
		state, err := s.Cursor(ctx, "src")
		require.NoError(t, err)
		assert.Equal(t, want, string(state))
	}
	_, err := s.Commit(ctx, storage.Batch{
		Writes: []storage.Write{{Collection: "c1", Objects: []storage.Object{Object(t, "indicator", 2, T0)}}},
		Cursor: &storage.Cursor{Source: "src", Update: func(storage.CommitResult) ([]byte, error) { return nil, errors.New("no") }},
	})
	require.Error(t, err)
	assert.Len(t, MustRecords(t, s, storage.Query{Collection: "c1"}).Records, 1, "a failing Update rolls the writes back")
}

func testCollectionIDIsGeneratedOnceAndKept(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	ctx := context.Background()
	a, err := s.CollectionID(ctx, "gib/indicators")
	require.NoError(t, err)
	assert.True(t, storage.IsID("x-type--"+a), "a lower-case UUID")
	other, err := s.CollectionID(ctx, "gib/intel")
	require.NoError(t, err)
	assert.NotEqual(t, a, other)
	all, err := s.CollectionIDs(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"gib/indicators": a, "gib/intel": other}, all)
	require.NoError(t, s.Close())

	s = b.Open(t, Options{})
	again, err := s.CollectionID(ctx, "gib/indicators")
	require.NoError(t, err)
	assert.Equal(t, a, again, "kept across restarts")
}

var commitTests = []test{
	{"PagingKeySurvivesReopen", testPagingKeySurvivesReopen},
	{"CursorCommittedWithObjects", testCursorCommittedWithObjects},
	{"FailedCommitLeavesNothing", testFailedCommitLeavesNothing},
	{"CommitHonoursCancelledContext", testCommitHonoursCancelledContext},
	{"DateAddedStrictlyIncreasingOnAFrozenClock", testDateAddedStrictlyIncreasingOnAFrozenClock},
	{"DateAddedFollowsTheClock", testDateAddedFollowsTheClock},
	{"ObjectInSeveralCollections", testObjectInSeveralCollections},
	{"RewritingAVersionIsANoOp", testRewritingAVersionIsANoOp},
	{"DuplicateWithinOneBatch", testDuplicateWithinOneBatch},
	{"CursorUpdateSeesTheBatchResult", testCursorUpdateSeesTheBatchResult},
	{"CollectionIDIsGeneratedOnceAndKept", testCollectionIDIsGeneratedOnceAndKept},
}
