package boltstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func id(typ string, n int) string { return fmt.Sprintf("%s--%08x-0000-4000-8000-000000000000", typ, n) }

// versionedStore holds, in date_added order:
//
//	indicator 1 v1, malware 2 v1, indicator 1 v2, indicator 3 v1,
//	indicator 1 v0 (an older version arriving late), malware 2 v2
func versionedStore(t *testing.T) (*Store, *testkit.Clock) {
	clk := newClock()
	s := MustOpen(t, Options{Now: clk.Now})
	for _, o := range []storage.Object{
		stix(t, "indicator", 1, t0.Add(time.Hour)),
		stix(t, "malware", 2, t0),
		stix(t, "indicator", 1, t0.Add(2*time.Hour)),
		stix(t, "indicator", 3, t0),
		stix(t, "indicator", 1, t0.Add(30*time.Minute)),
		stix(t, "malware", 2, t0.Add(time.Hour)),
	} {
		mustCommit(t, s, "c1", o)
		clk.Advance(time.Second)
	}
	return s, clk
}

func versionsOf(p storage.Page) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, fmt.Sprintf("%s@%s", r.ID[:len(r.ID)-28], r.VersionText[11:16]))
	}
	return out
}

func TestRecordsVersionSelection(t *testing.T) {
	s, _ := versionedStore(t)
	at := func(ts ...time.Time) storage.Versions { return storage.Versions{At: ts} }
	cases := map[string]struct {
		q    storage.Query
		want []string
	}{
		"default is last": {storage.Query{}, []string{"indicator--00000001@02:00", "indicator--00000003@00:00", "malware--00000002@01:00"}},
		"last": {storage.Query{Versions: storage.Versions{Last: true}},
			[]string{"indicator--00000001@02:00", "indicator--00000003@00:00", "malware--00000002@01:00"}},
		"first": {storage.Query{Versions: storage.Versions{First: true}},
			[]string{"malware--00000002@00:00", "indicator--00000003@00:00", "indicator--00000001@00:30"}},
		"all": {storage.Query{Versions: storage.Versions{All: true}},
			[]string{"indicator--00000001@01:00", "malware--00000002@00:00", "indicator--00000001@02:00", "indicator--00000003@00:00", "indicator--00000001@00:30", "malware--00000002@01:00"}},
		"first and last": {storage.Query{Versions: storage.Versions{First: true, Last: true}},
			[]string{"malware--00000002@00:00", "indicator--00000001@02:00", "indicator--00000003@00:00", "indicator--00000001@00:30", "malware--00000002@01:00"}},
		"specific": {storage.Query{Versions: at(t0.Add(time.Hour))},
			[]string{"indicator--00000001@01:00", "malware--00000002@01:00"}},
		"specific and first": {storage.Query{Versions: storage.Versions{First: true, At: []time.Time{t0.Add(time.Hour)}}},
			[]string{"indicator--00000001@01:00", "malware--00000002@00:00", "indicator--00000003@00:00", "indicator--00000001@00:30", "malware--00000002@01:00"}},
		"type": {storage.Query{Types: []string{"malware"}}, []string{"malware--00000002@01:00"}},
		"type all versions": {storage.Query{Types: []string{"malware"}, Versions: storage.Versions{All: true}},
			[]string{"malware--00000002@00:00", "malware--00000002@01:00"}},
		"two types": {storage.Query{Types: []string{"malware", "indicator"}, Versions: storage.Versions{First: true}},
			[]string{"malware--00000002@00:00", "indicator--00000003@00:00", "indicator--00000001@00:30"}},
		"unknown type": {storage.Query{Types: []string{"report"}}, nil},
		"id":           {storage.Query{IDs: []string{id("indicator", 1)}}, []string{"indicator--00000001@02:00"}},
		"id first":     {storage.Query{IDs: []string{id("indicator", 1)}, Versions: storage.Versions{First: true}}, []string{"indicator--00000001@00:30"}},
		"id all": {storage.Query{IDs: []string{id("indicator", 1)}, Versions: storage.Versions{All: true}},
			[]string{"indicator--00000001@01:00", "indicator--00000001@02:00", "indicator--00000001@00:30"}},
		"id specific": {storage.Query{IDs: []string{id("indicator", 1)}, Versions: at(t0.Add(time.Hour), t0.Add(5*time.Hour))},
			[]string{"indicator--00000001@01:00"}},
		"ids and type": {storage.Query{IDs: []string{id("indicator", 1), id("malware", 2), id("indicator", 9)}, Types: []string{"malware"}},
			[]string{"malware--00000002@01:00"}},
		"ids merged by date_added": {storage.Query{IDs: []string{id("malware", 2), id("indicator", 1)}, Versions: storage.Versions{All: true}},
			[]string{"indicator--00000001@01:00", "malware--00000002@00:00", "indicator--00000001@02:00", "indicator--00000001@00:30", "malware--00000002@01:00"}},
		"spec_version 2.1":     {storage.Query{SpecVersions: []string{"2.0", "2.1"}}, []string{"indicator--00000001@02:00", "indicator--00000003@00:00", "malware--00000002@01:00"}},
		"spec_version 2.0":     {storage.Query{SpecVersions: []string{"2.0"}}, nil},
		"unknown collection":   {storage.Query{Collection: "nope"}, nil},
		"duplicate type value": {storage.Query{Types: []string{"malware", "malware"}}, []string{"malware--00000002@01:00"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.q.Collection == "" {
				tc.q.Collection = "c1"
			}
			page := mustRecords(t, s, tc.q)
			assert.Equal(t, tc.want, versionsOf(page))
			assert.False(t, page.More)
		})
	}
}

func TestRecordsAddedAfterIsExclusive(t *testing.T) {
	s, _ := versionedStore(t)
	all := mustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	require.Len(t, all.Records, 6)
	for i, r := range all.Records {
		page := mustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: r.DateAdded, Versions: storage.Versions{All: true}})
		assert.Len(t, page.Records, 5-i, "after entry %d", i)
		if len(page.Records) > 0 {
			assert.True(t, page.Records[0].DateAdded.After(r.DateAdded))
		}
		// Sub-microsecond added_after values round up, never down.
		page = mustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: r.DateAdded.Add(-time.Nanosecond), Versions: storage.Versions{All: true}})
		assert.Len(t, page.Records, 6-i)
	}
	// The later of added_after and the resume position wins.
	page := mustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: all.Records[1].DateAdded,
		Resume: storage.Position{DateAdded: all.Records[3].DateAdded}, Versions: storage.Versions{All: true}})
	assert.Len(t, page.Records, 2)
}

func TestRecordsPageBoundaries(t *testing.T) {
	s := MustOpen(t, Options{MaxLimit: 4})
	var objs []storage.Object
	for i := range 10 {
		objs = append(objs, stix(t, "indicator", i, t0))
	}
	mustCommit(t, s, "c1", objs...)

	var got []string
	q := storage.Query{Collection: "c1", Limit: 3}
	for range 10 {
		page := mustRecords(t, s, q)
		got = append(got, ids(page)...)
		if !page.More {
			break
		}
		assert.Len(t, page.Records, 3)
		assert.Equal(t, page.Records[2].DateAdded, page.Next.DateAdded)
		q.Resume = page.Next
	}
	require.Len(t, got, 10)
	for i := range 10 {
		assert.Equal(t, id("indicator", i), got[i])
	}

	// Exactly limit matches left: no more.
	page := mustRecords(t, s, storage.Query{Collection: "c1", Limit: 10})
	assert.Len(t, page.Records, 4, "the store caps the limit")
	assert.True(t, page.More)
	page = mustRecords(t, s, storage.Query{Collection: "c1", Limit: 4, Resume: page.Next})
	require.Len(t, page.Records, 4)
	page = mustRecords(t, s, storage.Query{Collection: "c1", Limit: 2, Resume: page.Next})
	assert.Len(t, page.Records, 2)
	assert.False(t, page.More, "exactly limit records left")
}

func TestRecordsScanBudgetEndsPageEarly(t *testing.T) {
	s := MustOpen(t, Options{ScanBudget: 5})
	var objs []storage.Object
	for i := range 12 {
		objs = append(objs, stix(t, "indicator", i, t0))
	}
	objs = append(objs, stix(t, "indicator", 99, t0.Add(time.Hour)))
	mustCommit(t, s, "c1", objs...)

	// Only the last entry has this version: each page examines 5 entries.
	q := storage.Query{Collection: "c1", Versions: storage.Versions{At: []time.Time{t0.Add(time.Hour)}}}
	var pages int
	var got []string
	for pages = 1; pages < 10; pages++ {
		page := mustRecords(t, s, q)
		got = append(got, ids(page)...)
		if !page.More {
			break
		}
		q.Resume = page.Next
	}
	assert.Equal(t, []string{id("indicator", 99)}, got)
	assert.Equal(t, 3, pages, "13 entries at 5 per page")
}

func TestRecordsWithoutObjects(t *testing.T) {
	s, _ := versionedStore(t)
	page := mustRecords(t, s, storage.Query{Collection: "c1", WithoutObjects: true})
	require.NotEmpty(t, page.Records)
	for _, r := range page.Records {
		assert.Nil(t, r.JSON)
		assert.Equal(t, "2.1", r.SpecVersion)
	}
}

func TestUnversionedObjects(t *testing.T) {
	s := MustOpen(t, Options{})
	sco, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
	require.NoError(t, err)
	mustCommit(t, s, "c1", sco)
	assert.Equal(t, storage.CommitResult{Unchanged: 1}, mustCommit(t, s, "c1", sco))

	page := mustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 1)
	added := page.Records[0].DateAdded
	assert.True(t, page.Records[0].Version.IsZero())

	// match[version]=<timestamp> matches an unversioned object on its date_added.
	for _, q := range []storage.Query{
		{Collection: "c1", Versions: storage.Versions{At: []time.Time{added}}},
		{Collection: "c1", IDs: []string{sco.ID}, Versions: storage.Versions{At: []time.Time{added}}},
	} {
		assert.Len(t, mustRecords(t, s, q).Records, 1)
	}
	assert.Empty(t, mustRecords(t, s, storage.Query{Collection: "c1", IDs: []string{sco.ID},
		Versions: storage.Versions{At: []time.Time{added.Add(time.Microsecond)}}}).Records)
}

func TestObjectExists(t *testing.T) {
	s, _ := versionedStore(t)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		collection, id string
		want           bool
	}{
		"present":            {"c1", id("indicator", 1), true},
		"absent":             {"c1", id("indicator", 2), false},
		"other collection":   {"c2", id("indicator", 1), false},
		"prefix of a stored": {"c1", id("indicator", 1)[:20], false},
	} {
		got, err := s.ObjectExists(ctx, tc.collection, tc.id)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, name)
	}
}

// Filter values that are not STIX types or ids cannot be framed into keys:
// a NUL inside one would otherwise match the middle of another key.
func TestRecordsIgnoreMalformedTypesAndIDs(t *testing.T) {
	s, _ := versionedStore(t)
	all := mustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	stampBytes := stampOf(all.Records[0].DateAdded).appendTo(nil)
	for _, q := range []storage.Query{
		{Types: []string{"indicator\x00" + string(stampBytes[:6])}},
		{Types: []string{"\x00"}},
		{IDs: []string{id("indicator", 1) + "\x00"}},
		{IDs: []string{"indicator"}},
	} {
		q.Collection = "c1"
		q.Versions = storage.Versions{All: true}
		assert.Empty(t, mustRecords(t, s, q).Records, "%q %q", q.Types, q.IDs)
	}
	found, err := s.ObjectExists(context.Background(), "c1", id("indicator", 1)[:20]+"\x00")
	require.NoError(t, err)
	assert.False(t, found)
}

// match[version]=0001-01-01T00:00:00Z is not the version of unversioned
// objects, with or without match[id].
func TestZeroVersionIsNotAVersion(t *testing.T) {
	s := MustOpen(t, Options{})
	sco, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
	require.NoError(t, err)
	mustCommit(t, s, "c1", sco)
	zero := storage.Versions{At: []time.Time{{}}}
	assert.Empty(t, mustRecords(t, s, storage.Query{Collection: "c1", Versions: zero}).Records)
	assert.Empty(t, mustRecords(t, s, storage.Query{Collection: "c1", IDs: []string{sco.ID}, Versions: zero}).Records)
}
