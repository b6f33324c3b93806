package taxii_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Items 38, 39, 40, 41, 26; trap T8: the collections the caller may use,
// in a stable order, each with a UUIDv4 id, title, permissions and media
// types.
func TestCollections(t *testing.T) {
	f := newFixture(t)
	var first []string
	for range 3 {
		rec := f.get(api1)
		require.Equal(t, http.StatusOK, rec.Code)
		list := decode[collectionsResource](t, rec)
		var ids []string
		for _, c := range list.Collections {
			ids = append(ids, c.ID)
			assert.Regexp(t, uuidV4, c.ID)
			assert.NotEmpty(t, c.Title)
			require.NotNil(t, c.CanRead)
			require.NotNil(t, c.CanWrite)
			assert.Equal(t, []string{"application/stix+json;version=2.1"}, c.MediaTypes)
		}
		assert.Equal(t, []string{collIndicators, collWriteOnly, collPublic}, ids, "alice's collections, in configuration order")
		if first != nil {
			assert.Equal(t, first, ids, "item 39: the same order every time")
		}
		first = ids
	}
	list := decode[collectionsResource](t, f.get(api1, as("bob", "bob-pw")))
	assert.Len(t, list.Collections, 3, "bob sees indicators, public and secret")
}

// Item 38; trap T11: no collections means {}, not an empty list.
func TestCollectionsEmpty(t *testing.T) {
	f := newFixture(t)
	rec := f.get("/other/root/collections/")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{}`, rec.Body.String())
}

// Item 40: an alias routes like the id; the resource still names the id
// (taxii2client builds URLs from it, trap T8).
func TestCollectionAlias(t *testing.T) {
	f := newFixture(t)
	f.add(collIndicators, stixObject(t, "indicator", 1, t0))
	c := decode[collectionResource](t, f.get(api1+"indicators/"))
	assert.Equal(t, collIndicators, c.ID)
	assert.Equal(t, "indicators", c.Alias)
	assert.Equal(t, "Indicators", c.Title)
	assert.Len(t, decode[envelope](t, f.get(api1+"indicators/objects/")).Objects, 1)
	// Aliases belong to their API root.
	assertError(t, f.get("/other/root/collections/indicators/"), http.StatusNotFound)
}

// Item 59: a page may end early with more=true, even empty, when a filter
// matches little of a large collection; following next still finds
// everything.
func TestMoreWithEmptyPage(t *testing.T) {
	f := newFixture(t)
	f.reopenWith(3) // each page examines at most 3 entries
	for i := range 8 {
		f.add(collIndicators, stixObject(t, "indicator", i, t0))
	}
	f.add(collIndicators, stixObject(t, "indicator", 9, t0.Add(time.Hour)))
	base := api1 + collIndicators + "/objects/?match[version]=2025-06-01T01:00:00.000Z"
	path := base
	var got []string
	var sizes []int
	for pages := 0; pages < 10; pages++ {
		rec := f.get(path)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		env := decode[envelope](t, rec)
		got = append(got, idsOf(t, env)...)
		sizes = append(sizes, len(env.Objects))
		if !*env.More {
			break
		}
		path = base + "&next=" + url.QueryEscape(env.Next)
	}
	assert.Equal(t, []string{stixID("indicator", 9)}, got)
	assert.Equal(t, []int{0, 0, 1}, sizes, "two empty pages with more=true, then the match")

	// Clients that page by X-TAXII-Date-Added-Last instead of next move on
	// too: an empty page that ends early names the last entry examined.
	got, path = nil, base
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging by header terminates")
		rec := f.get(path)
		env := decode[envelope](t, rec)
		got = append(got, idsOf(t, env)...)
		if !*env.More {
			break
		}
		last := dateHeader(rec, "Last")
		require.NotEmpty(t, last)
		path = base + "&added_after=" + last
	}
	assert.Equal(t, []string{stixID("indicator", 9)}, got)
}
