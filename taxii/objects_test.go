package taxii_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seed fills the indicators collection, in date_added order, with
// indicator 1 (v1), malware 2, indicator 1 (v2), indicator 3, one second apart.
func seed(t *testing.T, f *fixture) []time.Time {
	var added []time.Time
	for _, o := range []storage.Object{
		stixObject(t, "indicator", 1, t0),
		stixObject(t, "malware", 2, t0),
		stixObject(t, "indicator", 1, t0.Add(time.Hour)),
		stixObject(t, "indicator", 3, t0),
	} {
		f.add(collIndicators, o)
		added = append(added, f.clock.Now())
		f.clock.Advance(time.Second)
	}
	return added
}

const stamp = "2006-01-02T15:04:05.000000Z"

// Items 45, 48, 28; trap T11: an empty collection is an empty envelope,
// with "objects" omitted, and no date headers without added_after (E2).
func TestObjectsEmpty(t *testing.T) {
	f := newFixture(t)
	rec := f.get(api1 + collIndicators + "/objects/")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"more":false}`, rec.Body.String())
	assert.Empty(t, dateHeader(rec, "First"))
	assert.Empty(t, dateHeader(rec, "Last"))

	// Erratum E2: with added_after, an empty page echoes it.
	rec = f.get(api1 + collIndicators + "/objects/?added_after=2026-01-02T03:04:05.5Z")
	assert.Equal(t, "2026-01-02T03:04:05.500000Z", dateHeader(rec, "First"))
	assert.Equal(t, "2026-01-02T03:04:05.500000Z", dateHeader(rec, "Last"))
	rec = f.get(api1 + collIndicators + "/manifest/?added_after=2026-01-02T03:04:05Z")
	assert.JSONEq(t, `{"more":false}`, rec.Body.String())
	assert.Equal(t, "2026-01-02T03:04:05.000000Z", dateHeader(rec, "Last"))
}

// Items 51, 54, 64, 21, 49: oldest first, latest versions by default, the
// stored bytes served as they are, and the date headers of the page.
func TestObjectsDefault(t *testing.T) {
	f := newFixture(t)
	added := seed(t, f)
	rec := f.get(api1 + collIndicators + "/objects/")
	require.Equal(t, http.StatusOK, rec.Code)
	env := decode[envelope](t, rec)
	require.NotNil(t, env.More)
	assert.False(t, *env.More)
	assert.Empty(t, env.Next)
	got := heads(t, env)
	require.Len(t, got, 3)
	assert.Equal(t, []string{stixID("malware", 2), stixID("indicator", 1), stixID("indicator", 3)},
		[]string{got[0].ID, got[1].ID, got[2].ID})
	assert.Equal(t, "2025-06-01T01:00:00.000Z", got[1].Modified, "the last version of indicator 1")
	assert.Equal(t, string(stixObject(t, "malware", 2, t0).JSON), string(env.Objects[0]), "served byte for byte")
	assert.Equal(t, added[1].Format(stamp), dateHeader(rec, "First"))
	assert.Equal(t, added[3].Format(stamp), dateHeader(rec, "Last"))
}

type manifest struct {
	More    bool   `json:"more"`
	Next    string `json:"next"`
	Objects []struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	} `json:"objects"`
}

// Items 42, 43, 44: a manifest record per version with id, date_added,
// version and media_type; filters apply to the source objects.
func TestManifest(t *testing.T) {
	f := newFixture(t)
	added := seed(t, f)
	rec := f.get(api1 + collIndicators + "/manifest/?match[version]=all&match[type]=indicator")
	require.Equal(t, http.StatusOK, rec.Code)
	m := decode[manifest](t, rec)
	require.Len(t, m.Objects, 3)
	want := []struct{ id, version string }{
		{stixID("indicator", 1), "2025-06-01T00:00:00.000Z"},
		{stixID("indicator", 1), "2025-06-01T01:00:00.000Z"},
		{stixID("indicator", 3), "2025-06-01T00:00:00.000Z"},
	}
	for i, w := range want {
		assert.Equal(t, w.id, m.Objects[i].ID)
		assert.Equal(t, w.version, m.Objects[i].Version)
		assert.Equal(t, "application/stix+json;version=2.1", m.Objects[i].MediaType)
	}
	assert.Equal(t, added[0].Format(stamp), m.Objects[0].DateAdded)
	assert.Equal(t, added[0].Format(stamp), dateHeader(rec, "First"))
	assert.Equal(t, added[3].Format(stamp), dateHeader(rec, "Last"))
}

// Items 46, 21, 75: one object, as an envelope, with headers; 404 when the
// collection has no such object.
func TestObject(t *testing.T) {
	f := newFixture(t)
	added := seed(t, f)
	path := api1 + collIndicators + "/objects/" + stixID("indicator", 1) + "/"
	env := decode[envelope](t, f.get(path))
	got := heads(t, env)
	require.Len(t, got, 1)
	assert.Equal(t, "2025-06-01T01:00:00.000Z", got[0].Modified)

	rec := f.get(path + "?match[version]=all")
	assert.Len(t, heads(t, decode[envelope](t, rec)), 2)
	assert.Equal(t, added[0].Format(stamp), dateHeader(rec, "First"))
	assert.Equal(t, added[2].Format(stamp), dateHeader(rec, "Last"))

	rec = f.get(path + "?match[version]=first&match[type]=malware") // item 66: match[type] is not an object-endpoint filter
	assert.Equal(t, "2025-06-01T00:00:00.000Z", heads(t, decode[envelope](t, rec))[0].Modified)

	// Filters that exclude every version give an empty envelope, not 404.
	rec = f.get(path + "?match[version]=2020-01-01T00:00:00Z")
	assert.JSONEq(t, `{"more":false}`, rec.Body.String())

	assertError(t, f.get(api1+collIndicators+"/objects/"+stixID("indicator", 9)+"/"), http.StatusNotFound)
	assertError(t, f.get(api1+collIndicators+"/objects/not-an-id/"), http.StatusNotFound)
	assertError(t, f.get(api1+collIndicators+"/objects/"+stixID("indicator", 1)+"%00/"), http.StatusNotFound)
	assertError(t, f.get(api1+collIndicators+"/objects/"+stixID("indicator", 1)[:15]+"%00/versions/"), http.StatusNotFound)
	assertError(t, f.get(api1+collPublic+"/objects/"+stixID("indicator", 1)+"/", anonymous()), http.StatusNotFound)
}

type versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next"`
	Versions []string `json:"versions"`
}

// Item 47: the versions of an object, oldest added first, with headers.
func TestVersions(t *testing.T) {
	f := newFixture(t)
	added := seed(t, f)
	path := api1 + collIndicators + "/objects/" + stixID("indicator", 1) + "/versions/"
	rec := f.get(path)
	require.Equal(t, http.StatusOK, rec.Code)
	v := decode[versions](t, rec)
	assert.Equal(t, []string{"2025-06-01T00:00:00.000Z", "2025-06-01T01:00:00.000Z"}, v.Versions)
	assert.Equal(t, added[0].Format(stamp), dateHeader(rec, "First"))
	assert.Equal(t, added[2].Format(stamp), dateHeader(rec, "Last"))

	assert.JSONEq(t, `{"more":false}`, f.get(path+"?match[spec_version]=2.0").Body.String())
	assertError(t, f.get(api1+collIndicators+"/objects/"+stixID("indicator", 9)+"/versions/"), http.StatusNotFound)
}

// Items 60-65: match filters. Fields are ANDed, comma values ORed, unknown
// fields ignored, version and spec_version semantics as specified.
func TestObjectsMatchFilters(t *testing.T) {
	f := newFixture(t)
	seed(t, f)
	ids := func(query string) []string {
		rec := f.get(api1 + collIndicators + "/objects/?" + query)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", query, rec.Body)
		var out []string
		for _, h := range heads(t, decode[envelope](t, rec)) {
			out = append(out, h.ID+"@"+h.Modified[11:16])
		}
		return out
	}
	i1, m2, i3 := stixID("indicator", 1), stixID("malware", 2), stixID("indicator", 3)
	cases := map[string][]string{
		"match[type]=indicator":                                    {i1 + "@01:00", i3 + "@00:00"},
		"match[type]=malware,indicator":                            {m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[type]=report":                                       nil, // item 62: a valid type with no objects
		"match[type]=x-custom-thing":                               nil,
		"match[id]=" + i1:                                          {i1 + "@01:00"},
		"match[id]=indicator--" + strings.ToUpper(i1[11:]):         {i1 + "@01:00"}, // upper-case UUIDs are lower-cased
		"match[id]=" + i1 + "," + i3:                               {i1 + "@01:00", i3 + "@00:00"},
		"match[id]=" + i1 + "&match[type]=malware":                 nil,
		"match[version]=first":                                     {i1 + "@00:00", m2 + "@00:00", i3 + "@00:00"},
		"match[version]=last":                                      {m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[version]=all":                                       {i1 + "@00:00", m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[version]=2025-06-01T01:00:00.000Z":                  {i1 + "@01:00"},
		"match[version]=2025-06-01T01:00:00%2B00:00":               {i1 + "@01:00"},
		"match[version]=first,2025-06-01T01:00:00Z":                {i1 + "@00:00", m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[spec_version]=2.1":                                  {m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[spec_version]=2.0":                                  nil,
		"match[spec_version]=2.0,2.1":                              {m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[colour]=blue&match[type]=malware":                   {m2 + "@00:00"}, // unknown field ignored
		"foo=bar":                                                  {m2 + "@00:00", i1 + "@01:00", i3 + "@00:00"},
		"match[id]=" + i1 + "&match[version]=all":                  {i1 + "@00:00", i1 + "@01:00"},
		"match[type]=indicator&match[version]=first":               {i1 + "@00:00", i3 + "@00:00"},
		"match[id]=" + i1 + "&match[version]=2020-01-01T00:00:00Z": nil,
	}
	for query, want := range cases {
		assert.Equal(t, want, ids(query), query)
	}
}

// Item 53, trap T5: added_after is exclusive and accepts RFC 3339 with 0-9
// fractional digits and Z or an offset.
func TestAddedAfter(t *testing.T) {
	f := newFixture(t)
	added := seed(t, f)
	count := func(after string) int {
		rec := f.get(api1 + collIndicators + "/objects/?match[version]=all&added_after=" + url.QueryEscape(after))
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", after, rec.Body)
		return len(decode[envelope](t, rec).Objects)
	}
	assert.Equal(t, 3, count(added[0].Format(stamp)), "strictly after")
	assert.Equal(t, 4, count(added[0].Add(-time.Microsecond).Format(stamp)))
	assert.Equal(t, 2, count(added[1].Format("2006-01-02T15:04:05Z")), "no fraction")
	assert.Equal(t, 2, count(added[1].Format("2006-01-02T15:04:05.000000000Z")), "nanoseconds")
	assert.Equal(t, 2, count(added[1].In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.999-07:00")), "offset")
	assert.Equal(t, 2, count(added[1].Format("2006-01-02T15:04:05+00:00")), "zero offset")
	assert.Equal(t, 0, count(added[3].Format("2006-01-02T15:04:05.0Z")))

	// An unencoded '+' arrives as a space; it is read as the offset sign.
	rec := f.get(api1 + collIndicators + "/objects/?added_after=" + added[1].Format("2006-01-02T15:04:05") + "+00:00")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Len(t, decode[envelope](t, rec).Objects, 2)
}

// Items 52, 74, 55, 63, 67, 68, R6: malformed filters are 400 with a TAXII
// error resource whose http_status is the status as a string.
func TestMalformedFiltersAre400(t *testing.T) {
	f := newFixture(t)
	seed(t, f)
	for _, query := range []string{
		"added_after=yesterday",
		"added_after=2025-06-01",
		"added_after=2025-06-01T00:00:00",
		"added_after=2025-06-01T00:00:00.1234567890Z",
		"added_after=2025-06-01T00:00:00Z&added_after=2025-06-02T00:00:00Z",
		"limit=0",
		"limit=-3",
		"limit=ten",
		"limit=",
		"limit=1.5",
		"limit=1&limit=2",
		"next=garbage",
		"next=" + url.QueryEscape("AAAA"),
		"match[version]=all,last",
		"match[version]=last,last",
		"match[version]=2025-06-01T00:00:00Z,2025-06-01T00:00:00.000Z",
		"match[version]=newest",
		"match[version]=",
		"match[id]=not-an-id",
		"match[id]=" + stixID("indicator", 1) + ",",
		"match[type]=indicator,,malware",
		"match[type]=a&match[type]=b",
		"match[spec_version]=latest",
		"match[type]=malware%G1",                     // undecodable: never silently dropped
		"added_after=2030-01-01T00:00:00%ZZ",         // idem
		"match[type]=indicator%00%80%06%4c%2b%c7%0c", // a NUL would break key framing
		"match[type]=Indicator",
		"added_after=9999-12-31T23:59:59-01:00", // year 10000 in UTC
		"added_after=0000-01-01T00:00:00%2B01:00",
	} {
		for _, ep := range []string{"/objects/", "/manifest/"} {
			e := assertError(t, f.get(api1+collIndicators+ep+"?"+query), http.StatusBadRequest)
			assert.NotEmpty(t, e.Description, query)
		}
	}
	for _, ep := range []string{"/objects/" + stixID("indicator", 1) + "/", "/objects/" + stixID("indicator", 1) + "/versions/"} {
		assertError(t, f.get(api1+collIndicators+ep+"?limit=0"), http.StatusBadRequest)
		assertError(t, f.get(api1+collIndicators+ep+"?added_after=x"), http.StatusBadRequest)
	}
}

// Item 55: limit is obeyed, and a limit above the server maximum is
// clamped to it (MaxLimit is 10 in the fixture, the default 5).
func TestLimit(t *testing.T) {
	f := newFixture(t)
	for i := range 25 {
		f.add(collIndicators, stixObject(t, "indicator", i, t0))
	}
	for query, want := range map[string]int{"": 5, "limit=1": 1, "limit=7": 7, "limit=10": 10, "limit=1000": 10} {
		env := decode[envelope](t, f.get(api1+collIndicators+"/objects/?"+query))
		assert.Len(t, env.Objects, want, query)
		assert.True(t, *env.More, query)
		assert.NotEmpty(t, env.Next, query)
	}
}
