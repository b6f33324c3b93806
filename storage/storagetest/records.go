package storagetest

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

// versionedStore holds, in date_added order:
//
//	indicator 1 v1, malware 2 v1, indicator 1 v2, indicator 3 v1,
//	indicator 1 v0 (an older version arriving late), malware 2 v2
func versionedStore(t *testing.T, b Backend) (storage.Store, *testkit.Clock) {
	clk := NewClock()
	s := b.Open(t, Options{Now: clk.Now})
	for _, o := range []storage.Object{
		Object(t, "indicator", 1, T0.Add(time.Hour)),
		Object(t, "malware", 2, T0),
		Object(t, "indicator", 1, T0.Add(2*time.Hour)),
		Object(t, "indicator", 3, T0),
		Object(t, "indicator", 1, T0.Add(30*time.Minute)),
		Object(t, "malware", 2, T0.Add(time.Hour)),
	} {
		MustCommit(t, s, "c1", o)
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

func testRecordsVersionSelection(t *testing.T, b Backend) {
	s, _ := versionedStore(t, b)
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
		"specific": {storage.Query{Versions: at(T0.Add(time.Hour))},
			[]string{"indicator--00000001@01:00", "malware--00000002@01:00"}},
		"specific and first": {storage.Query{Versions: storage.Versions{First: true, At: []time.Time{T0.Add(time.Hour)}}},
			[]string{"indicator--00000001@01:00", "malware--00000002@00:00", "indicator--00000003@00:00", "indicator--00000001@00:30", "malware--00000002@01:00"}},
		"type": {storage.Query{Types: []string{"malware"}}, []string{"malware--00000002@01:00"}},
		"type all versions": {storage.Query{Types: []string{"malware"}, Versions: storage.Versions{All: true}},
			[]string{"malware--00000002@00:00", "malware--00000002@01:00"}},
		"two types": {storage.Query{Types: []string{"malware", "indicator"}, Versions: storage.Versions{First: true}},
			[]string{"malware--00000002@00:00", "indicator--00000003@00:00", "indicator--00000001@00:30"}},
		"unknown type": {storage.Query{Types: []string{"report"}}, nil},
		"id":           {storage.Query{IDs: []string{ID("indicator", 1)}}, []string{"indicator--00000001@02:00"}},
		"id first":     {storage.Query{IDs: []string{ID("indicator", 1)}, Versions: storage.Versions{First: true}}, []string{"indicator--00000001@00:30"}},
		"id all": {storage.Query{IDs: []string{ID("indicator", 1)}, Versions: storage.Versions{All: true}},
			[]string{"indicator--00000001@01:00", "indicator--00000001@02:00", "indicator--00000001@00:30"}},
		"id specific": {storage.Query{IDs: []string{ID("indicator", 1)}, Versions: at(T0.Add(time.Hour), T0.Add(5*time.Hour))},
			[]string{"indicator--00000001@01:00"}},
		"ids and type": {storage.Query{IDs: []string{ID("indicator", 1), ID("malware", 2), ID("indicator", 9)}, Types: []string{"malware"}},
			[]string{"malware--00000002@01:00"}},
		"ids merged by date_added": {storage.Query{IDs: []string{ID("malware", 2), ID("indicator", 1)}, Versions: storage.Versions{All: true}},
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
			page := MustRecords(t, s, tc.q)
			assert.Equal(t, tc.want, versionsOf(page))
			assert.False(t, page.More)
		})
	}
}

func testRecordsAddedAfterIsExclusive(t *testing.T, b Backend) {
	s, _ := versionedStore(t, b)
	all := MustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	require.Len(t, all.Records, 6)
	for i, r := range all.Records {
		page := MustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: r.DateAdded, Versions: storage.Versions{All: true}})
		assert.Len(t, page.Records, 5-i, "after entry %d", i)
		if len(page.Records) > 0 {
			assert.True(t, page.Records[0].DateAdded.After(r.DateAdded))
		}
		// Sub-microsecond added_after values round up, never down.
		page = MustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: r.DateAdded.Add(-time.Nanosecond), Versions: storage.Versions{All: true}})
		assert.Len(t, page.Records, 6-i)
	}
	// The later of added_after and the resume position wins.
	page := MustRecords(t, s, storage.Query{Collection: "c1", AddedAfter: all.Records[1].DateAdded,
		Resume: storage.Position{DateAdded: all.Records[3].DateAdded}, Versions: storage.Versions{All: true}})
	assert.Len(t, page.Records, 2)
}

func testRecordsPageBoundaries(t *testing.T, b Backend) {
	s := b.Open(t, Options{MaxLimit: 4})
	var objs []storage.Object
	for i := range 10 {
		objs = append(objs, Object(t, "indicator", i, T0))
	}
	MustCommit(t, s, "c1", objs...)

	var got []string
	q := storage.Query{Collection: "c1", Limit: 3}
	for range 10 {
		page := MustRecords(t, s, q)
		got = append(got, IDs(page)...)
		if !page.More {
			break
		}
		assert.Len(t, page.Records, 3)
		assert.Equal(t, page.Records[2].DateAdded, page.Next.DateAdded)
		q.Resume = page.Next
	}
	require.Len(t, got, 10)
	for i := range 10 {
		assert.Equal(t, ID("indicator", i), got[i])
	}

	// Exactly limit matches left: no more.
	page := MustRecords(t, s, storage.Query{Collection: "c1", Limit: 10})
	assert.Len(t, page.Records, 4, "the store caps the limit")
	assert.True(t, page.More)
	page = MustRecords(t, s, storage.Query{Collection: "c1", Limit: 4, Resume: page.Next})
	require.Len(t, page.Records, 4)
	page = MustRecords(t, s, storage.Query{Collection: "c1", Limit: 2, Resume: page.Next})
	assert.Len(t, page.Records, 2)
	assert.False(t, page.More, "exactly limit records left")
}

func testRecordsWithoutObjects(t *testing.T, b Backend) {
	s, _ := versionedStore(t, b)
	page := MustRecords(t, s, storage.Query{Collection: "c1", WithoutObjects: true})
	require.NotEmpty(t, page.Records)
	for _, r := range page.Records {
		assert.Nil(t, r.JSON)
		assert.Equal(t, "2.1", r.SpecVersion)
	}
}

func testUnversionedObjects(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	sco, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
	require.NoError(t, err)
	MustCommit(t, s, "c1", sco)
	assert.Equal(t, storage.CommitResult{Unchanged: 1}, MustCommit(t, s, "c1", sco))

	page := MustRecords(t, s, storage.Query{Collection: "c1"})
	require.Len(t, page.Records, 1)
	added := page.Records[0].DateAdded
	assert.True(t, page.Records[0].Version.IsZero())

	// match[version]=<timestamp> matches an unversioned object on its date_added.
	for _, q := range []storage.Query{
		{Collection: "c1", Versions: storage.Versions{At: []time.Time{added}}},
		{Collection: "c1", IDs: []string{sco.ID}, Versions: storage.Versions{At: []time.Time{added}}},
	} {
		assert.Len(t, MustRecords(t, s, q).Records, 1)
	}
	assert.Empty(t, MustRecords(t, s, storage.Query{Collection: "c1", IDs: []string{sco.ID},
		Versions: storage.Versions{At: []time.Time{added.Add(time.Microsecond)}}}).Records)
}

func testObjectExists(t *testing.T, b Backend) {
	s, _ := versionedStore(t, b)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		collection, id string
		want           bool
	}{
		"present":            {"c1", ID("indicator", 1), true},
		"absent":             {"c1", ID("indicator", 2), false},
		"other collection":   {"c2", ID("indicator", 1), false},
		"prefix of a stored": {"c1", ID("indicator", 1)[:20], false},
	} {
		got, err := s.ObjectExists(ctx, tc.collection, tc.id)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, name)
	}
}

// Filter values that are not STIX types or ids cannot be framed into keys:
// a NUL inside one would otherwise match the middle of another key.
func testRecordsIgnoreMalformedTypesAndIDs(t *testing.T, b Backend) {
	s, _ := versionedStore(t, b)
	// The first bytes of a big-endian microsecond timestamp, as a key
	// would frame them after a type.
	for _, q := range []storage.Query{
		{Types: []string{"indicator\x00\x80\x06\x47\x5e\xf6\x4c"}},
		{Types: []string{"\x00"}},
		{IDs: []string{ID("indicator", 1) + "\x00"}},
		{IDs: []string{"indicator"}},
	} {
		q.Collection = "c1"
		q.Versions = storage.Versions{All: true}
		assert.Empty(t, MustRecords(t, s, q).Records, "%q %q", q.Types, q.IDs)
	}
	found, err := s.ObjectExists(context.Background(), "c1", ID("indicator", 1)[:20]+"\x00")
	require.NoError(t, err)
	assert.False(t, found)
}

// match[version]=0001-01-01T00:00:00Z is not the version of unversioned
// objects, with or without match[id].
func testZeroVersionIsNotAVersion(t *testing.T, b Backend) {
	s := b.Open(t, Options{})
	sco, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
	require.NoError(t, err)
	MustCommit(t, s, "c1", sco)
	zero := storage.Versions{At: []time.Time{{}}}
	assert.Empty(t, MustRecords(t, s, storage.Query{Collection: "c1", Versions: zero}).Records)
	assert.Empty(t, MustRecords(t, s, storage.Query{Collection: "c1", IDs: []string{sco.ID}, Versions: zero}).Records)
}

var recordsTests = []test{
	{"RecordsEmit", testRecordsEmit},
	{"RecordsVersionSelection", testRecordsVersionSelection},
	{"RecordsAddedAfterIsExclusive", testRecordsAddedAfterIsExclusive},
	{"RecordsPageBoundaries", testRecordsPageBoundaries},
	{"RecordsWithoutObjects", testRecordsWithoutObjects},
	{"UnversionedObjects", testUnversionedObjects},
	{"ObjectExists", testObjectExists},
	{"RecordsIgnoreMalformedTypesAndIDs", testRecordsIgnoreMalformedTypesAndIDs},
	{"ZeroVersionIsNotAVersion", testZeroVersionIsNotAVersion},
}

// Emit gets each returned record's JSON, in order, instead of a copy in
// Record.JSON.
func testRecordsEmit(t *testing.T, b Backend) {
	s, _ := versionedStore(t, b)
	all := MustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}})
	var emitted []string
	page := MustRecords(t, s, storage.Query{Collection: "c1", Versions: storage.Versions{All: true}, Limit: 4,
		Emit: func(json []byte) { emitted = append(emitted, string(json)) }})
	require.Len(t, page.Records, 4)
	require.Len(t, emitted, 4)
	for i, r := range page.Records {
		assert.Nil(t, r.JSON)
		assert.Equal(t, string(all.Records[i].JSON), emitted[i])
	}
}
