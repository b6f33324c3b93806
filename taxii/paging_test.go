package taxii_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fill(t *testing.T, f *fixture, collection string, n int) {
	for i := range n {
		f.add(collection, stixObject(t, "indicator", i, t0))
	}
}

// Items 56, 57; traps T1, T2; erratum E1: more=true always comes with next,
// on objects, manifest and versions; next alone (without the original
// filters, with another limit) resumes where the last page ended.
func TestNextOnEveryPagedEndpoint(t *testing.T) {
	f := newFixture(t)
	fill(t, f, collIndicators, 12)
	for i := range 7 {
		f.add(collIndicators, stixObject(t, "malware", 100, t0.Add(time.Duration(i)*time.Hour)))
	}
	cases := map[string]struct {
		path string
		n    int
	}{
		"objects":  {api1 + collIndicators + "/objects/?limit=5", 13},
		"manifest": {api1 + collIndicators + "/manifest/?limit=5", 13},
		"object":   {api1 + collIndicators + "/objects/" + stixID("malware", 100) + "/?match[version]=all&limit=2", 7},
		"versions": {api1 + collIndicators + "/objects/" + stixID("malware", 100) + "/versions/?limit=2", 7},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			seen := 0
			path := tc.path
			for pages := 0; ; pages++ {
				require.Less(t, pages, 20, "paging terminates")
				rec := f.get(path)
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				page := decode[struct {
					More     bool     `json:"more"`
					Next     string   `json:"next"`
					Objects  []any    `json:"objects"`
					Versions []string `json:"versions"`
				}](t, rec)
				seen += len(page.Objects) + len(page.Versions)
				if !page.More {
					assert.Empty(t, page.Next)
					break
				}
				require.NotEmpty(t, page.Next, "T1: more without next loops clients forever")
				// T2: follow next without the original filters, and with another limit.
				u, _ := url.Parse(tc.path)
				path = u.Path + "?next=" + url.QueryEscape(page.Next) + "&limit=3"
				if name == "object" {
					path += "&match[version]=all"
				}
			}
			assert.Equal(t, tc.n, seen)
		})
	}
}

// Item 11, trap T3: next is tamper-evident, bound to its collection,
// survives a restart, and expires.
func TestNextIsSignedAndBound(t *testing.T) {
	f := newFixture(t)
	fill(t, f, collIndicators, 4)
	fill(t, f, collPublic, 4)
	env := decode[envelope](t, f.get(api1+collIndicators+"/objects/?limit=2"))
	require.NotEmpty(t, env.Next)
	next := url.QueryEscape(env.Next)

	// A token from another collection is refused, even to a reader of both.
	assertError(t, f.get(api1+collPublic+"/objects/?next="+next), http.StatusBadRequest)
	// A token with any one bit flipped is refused by the MAC (the flip is
	// made in the decoded bytes, so the base64 stays valid).
	raw, err := base64.RawURLEncoding.DecodeString(env.Next)
	require.NoError(t, err)
	for _, bit := range []int{0, 8, 8*20 + 3, 8*30 + 7, 8*len(raw) - 1} {
		tampered := bytes.Clone(raw)
		tampered[bit/8] ^= 1 << (bit % 8)
		token := base64.RawURLEncoding.EncodeToString(tampered)
		assertError(t, f.get(api1+collIndicators+"/objects/?next="+url.QueryEscape(token)), http.StatusBadRequest)
	}
	// Permissions are checked again: the token opens nothing by itself.
	assertError(t, f.get(api1+collIndicators+"/objects/?next="+next, anonymous()), http.StatusUnauthorized)

	// Restart: a new server over the reopened store accepts the token.
	f.open()
	rec := f.get(api1 + collIndicators + "/objects/?limit=2&next=" + next)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, []string{stixID("indicator", 2), stixID("indicator", 3)}, idsOf(t, decode[envelope](t, rec)))

	// A replica serving a copy of the store file accepts it: the key and
	// the positions travel with the data.
	replica := newFixture(t)
	require.NoError(t, replica.store.Close())
	copyFile(t, f.path, replica.path)
	replica.open()
	rec = replica.get(api1 + collIndicators + "/objects/?limit=2&next=" + next)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, []string{stixID("indicator", 2), stixID("indicator", 3)}, idsOf(t, decode[envelope](t, rec)))

	// Another store (another key) refuses it.
	other := newFixture(t)
	fill(t, other, collIndicators, 4)
	assertError(t, other.get(api1+collIndicators+"/objects/?next="+next), http.StatusBadRequest)
}

func TestNextExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, func(c *taxii.Config) { c.Now = func() time.Time { return now } })
	fill(t, f, collIndicators, 4)
	next := url.QueryEscape(decode[envelope](t, f.get(api1+collIndicators+"/objects/?limit=2")).Next)

	now = now.Add(71 * time.Hour) // NextMaxAge is 72h: days-long gaps between pages work
	assert.Equal(t, http.StatusOK, f.get(api1+collIndicators+"/objects/?next="+next).Code)
	now = now.Add(2 * time.Hour)
	e := assertError(t, f.get(api1+collIndicators+"/objects/?next="+next), http.StatusBadRequest)
	assert.Contains(t, e.Description, "expired")
}

// Trap T16: an empty next is the same as none.
func TestEmptyNextIsAbsent(t *testing.T) {
	f := newFixture(t)
	fill(t, f, collIndicators, 3)
	env := decode[envelope](t, f.get(api1+collIndicators+"/objects/?limit=50&next="))
	assert.Len(t, env.Objects, 3)
}

func idsOf(t *testing.T, env envelope) []string {
	var out []string
	for _, h := range heads(t, env) {
		out = append(out, h.ID)
	}
	return out
}

// copyFile copies a closed-or-quiescent store file, as an operator's
// snapshot would.
func copyFile(t *testing.T, from, to string) {
	raw, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, raw, 0o600))
}
