package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threeVersions stores versions at T0, T0+1h and T0+2h of one indicator
// and one other object, and returns the indicator's id.
func threeVersions(t *testing.T, s storage.Store, coll string) string {
	t.Helper()
	for h := 0; h < 3; h++ {
		MustCommit(t, s, coll, Object(t, "indicator", 1, T0.Add(time.Duration(h)*time.Hour)))
	}
	MustCommit(t, s, coll, Object(t, "malware", 2, T0))
	return Object(t, "indicator", 1, T0).ID
}

func storedVersionsOf(t *testing.T, s storage.Store, coll, id string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, r := range MustRecords(t, s, storage.Query{Collection: coll, IDs: []string{id}, Versions: storage.Versions{All: true}}).Records {
		out = append(out, r.Version)
	}
	return out
}

func testDeleteSelectsVersions(t *testing.T, b Backend) {
	h := func(n int) time.Time { return T0.Add(time.Duration(n) * time.Hour) }
	cases := []struct {
		name    string
		sel     storage.Deletion
		removed int
		left    []time.Time
	}{
		{"no version filter removes all", storage.Deletion{}, 3, nil},
		{"all", storage.Deletion{Versions: storage.Versions{All: true}}, 3, nil},
		{"first", storage.Deletion{Versions: storage.Versions{First: true}}, 1, []time.Time{h(1), h(2)}},
		{"last", storage.Deletion{Versions: storage.Versions{Last: true}}, 1, []time.Time{h(0), h(1)}},
		{"middle", storage.Deletion{Versions: storage.Versions{At: []time.Time{h(1)}}}, 1, []time.Time{h(0), h(2)}},
		{"first and last", storage.Deletion{Versions: storage.Versions{First: true, Last: true}}, 2, []time.Time{h(1)}},
		{"spec_version 2.1", storage.Deletion{SpecVersions: []string{"2.0", "2.1"}}, 3, nil},
	}
	s := b.Open(t, Options{Now: NewClock().Now})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coll := tc.name // a collection per case, in one store
			id := threeVersions(t, s, coll)
			d := tc.sel
			d.Collection, d.ID = coll, id
			n, err := s.Delete(context.Background(), d)
			require.NoError(t, err)
			assert.Equal(t, tc.removed, n)
			assert.Equal(t, tc.left, storedVersionsOf(t, s, coll, id))

			// The first and last views follow what is left (the store
			// check at cleanup verifies every ids and types entry and flag too).
			for _, v := range []storage.Versions{{First: true}, {Last: true}} {
				p := MustRecords(t, s, storage.Query{Collection: coll, IDs: []string{id}, Versions: v})
				if len(tc.left) == 0 {
					assert.Empty(t, p.Records)
					continue
				}
				want := tc.left[0]
				if v.Last {
					want = tc.left[len(tc.left)-1]
				}
				require.Len(t, p.Records, 1)
				assert.Equal(t, want, p.Records[0].Version)
			}
			typed := MustRecords(t, s, storage.Query{Collection: coll, Types: []string{"indicator"}, Versions: storage.Versions{All: true}})
			assert.Len(t, typed.Records, len(tc.left), "the typed index follows")
			exists, err := s.ObjectExists(context.Background(), coll, id)
			require.NoError(t, err)
			assert.Equal(t, len(tc.left) > 0, exists)
			// The other object is untouched.
			assert.Len(t, MustRecords(t, s, storage.Query{Collection: coll, Types: []string{"malware"}}).Records, 1)
		})
	}
}

func testDeleteNothingSelected(t *testing.T, b Backend) {
	s := b.Open(t, Options{Now: NewClock().Now})
	id := threeVersions(t, s, "c")
	for name, d := range map[string]storage.Deletion{
		"unknown id":          {Collection: "c", ID: "indicator--00000009-0000-4000-8000-000000000000"},
		"unknown collection":  {Collection: "other", ID: id},
		"version not stored":  {Collection: "c", ID: id, Versions: storage.Versions{At: []time.Time{T0.Add(time.Minute)}}},
		"spec_version 2.0":    {Collection: "c", ID: id, SpecVersions: []string{"2.0"}},
		"malformed id":        {Collection: "c", ID: "indicator--nope"},
		"id of another type":  {Collection: "c", ID: "malware--00000001-0000-4000-8000-000000000000"},
		"empty collection id": {ID: id},
	} {
		n, err := s.Delete(context.Background(), d)
		require.ErrorIs(t, err, storage.ErrNotFound, name)
		assert.Zero(t, n, name)
	}
	assert.Len(t, storedVersionsOf(t, s, "c", id), 3, "nothing was removed")
}

// A date_added is never given twice: after the latest entry is deleted, a
// new entry made while the clock stands still still sorts after it, so a
// client that saw the deleted entry's date_added as its resume point does
// not skip the new one.
func testDeleteNeverReusesDateAdded(t *testing.T, b Backend) {
	clock := NewClock()
	s := b.Open(t, Options{Now: clock.Now})
	MustCommit(t, s, "c", Object(t, "indicator", 1, T0))
	MustCommit(t, s, "c", Object(t, "indicator", 2, T0))
	p := MustRecords(t, s, storage.Query{Collection: "c"})
	require.Len(t, p.Records, 2)
	seen := p.Records[1].DateAdded

	_, err := s.Delete(context.Background(), storage.Deletion{Collection: "c", ID: p.Records[1].ID})
	require.NoError(t, err)
	clock.Advance(-time.Hour) // the clock went back
	MustCommit(t, s, "c", Object(t, "indicator", 3, T0))

	after := MustRecords(t, s, storage.Query{Collection: "c", AddedAfter: seen})
	require.Len(t, after.Records, 1, "the new entry is after the deleted one's date_added")
	assert.Equal(t, Object(t, "indicator", 3, T0).ID, after.Records[0].ID)

	// And across a reopen.
	require.NoError(t, s.Close())
	s = b.Open(t, Options{Now: clock.Now})
	MustCommit(t, s, "c", Object(t, "indicator", 4, T0))
	after = MustRecords(t, s, storage.Query{Collection: "c", AddedAfter: seen})
	assert.Len(t, after.Records, 2)
}

// A version put back after its deletion is a new entry.
func testDeleteThenAddAgain(t *testing.T, b Backend) {
	s := b.Open(t, Options{Now: NewClock().Now})
	obj := Object(t, "indicator", 1, T0)
	MustCommit(t, s, "c", obj)
	_, err := s.Delete(context.Background(), storage.Deletion{Collection: "c", ID: obj.ID})
	require.NoError(t, err)
	res := MustCommit(t, s, "c", obj)
	assert.Equal(t, 1, res.Added)
	assert.Len(t, MustRecords(t, s, storage.Query{Collection: "c"}).Records, 1)
}

func testCommitReportsConflicts(t *testing.T, b Backend) {
	s := b.Open(t, Options{Now: NewClock().Now})
	obj := Object(t, "indicator", 1, T0)
	MustCommit(t, s, "c", obj)

	other, err := storage.ParseObject([]byte(`{"type":"indicator","spec_version":"2.1","id":"` + obj.ID +
		`","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"changed"}`))
	require.NoError(t, err)
	res, err := s.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: "c",
		Objects: []storage.Object{Object(t, "indicator", 2, T0), obj, other}, Report: true}}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Added)
	assert.Equal(t, 2, res.Unchanged)
	var conflicts []int
	for i, r := range res.Reports[0] {
		if r.Conflict {
			conflicts = append(conflicts, i)
		}
	}
	assert.Equal(t, []int{2}, conflicts, "only the object with other bytes conflicts")

	p := MustRecords(t, s, storage.Query{Collection: "c", IDs: []string{obj.ID}})
	require.Len(t, p.Records, 1)
	assert.Equal(t, obj.JSON, p.Records[0].JSON, "the stored version is kept")
}

var deleteTests = []test{
	{"DeleteSelectsVersions", testDeleteSelectsVersions},
	{"DeleteNothingSelected", testDeleteNothingSelected},
	{"DeleteNeverReusesDateAdded", testDeleteNeverReusesDateAdded},
	{"DeleteThenAddAgain", testDeleteThenAddAgain},
	{"CommitReportsConflicts", testCommitReportsConflicts},
}
