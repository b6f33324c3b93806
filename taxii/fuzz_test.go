package taxii

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// The fuzz targets of this file run their seeds under plain go test; go
// test -fuzz explores from there. testdata/fuzz holds queries as TAXII
// clients send them, and inputs that found bugs.

const (
	fuzzCollection = "8d2a4f1e-6c3b-4e5a-9f7d-1b2c3d4e5f60"
	fuzzIndicator  = "indicator--00000001-aaaa-4bbb-8ccc-dddddddddddd"
	fuzzMalware    = "malware--00000002-aaaa-4bbb-8ccc-dddddddddddd"
)

var fuzzNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fuzzPaths are the four endpoints that take filters, picked by the
// fuzzer's selector byte.
var fuzzPaths = []string{
	"/api1/collections/" + fuzzCollection + "/objects/",
	"/api1/collections/" + fuzzCollection + "/manifest/",
	"/api1/collections/" + fuzzCollection + "/objects/" + fuzzIndicator + "/",
	"/api1/collections/" + fuzzCollection + "/objects/" + fuzzIndicator + "/versions/",
}

// fuzzServer is a server over a real bbolt store holding a few versions of
// a few objects. Its clock and paging key are fixed, so that a next token
// in a seed stays valid.
func fuzzServer(t testing.TB) (*Server, *collection) {
	hash, err := bcrypt.GenerateFromPassword([]byte("alice-pw"), bcrypt.MinCost)
	require.NoError(t, err)
	now := func() time.Time { return fuzzNow }
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "store.db"), boltstore.Options{Now: now, MaxLimit: 10, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	var objs []storage.Object
	for i, raw := range []string{
		`{"type":"indicator","spec_version":"2.1","id":"` + fuzzIndicator + `","created":"2025-06-01T00:00:00.000Z","modified":"2025-06-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '83.137.158.16']","pattern_type":"stix","valid_from":"2025-06-01T00:00:00Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"` + fuzzIndicator + `","created":"2025-06-01T00:00:00.000Z","modified":"2025-06-02T00:00:00.000Z","pattern":"[ipv4-addr:value = '83.137.158.16']","pattern_type":"stix","valid_from":"2025-06-01T00:00:00Z"}`,
		`{"type":"malware","spec_version":"2.1","id":"` + fuzzMalware + `","created":"2025-06-01T00:00:00.000Z","modified":"2025-06-01T00:00:00.000Z","name":"Ursnif","is_family":true}`,
		`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--00000003-aaaa-5bbb-8ccc-dddddddddddd","value":"83.137.158.16"}`,
	} {
		obj, err := storage.ParseObject([]byte(raw))
		require.NoError(t, err, "object %d", i)
		objs = append(objs, obj)
	}
	_, err = store.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: fuzzCollection, Objects: objs}}})
	require.NoError(t, err)
	srv, err := New(Config{
		ExternalURL: "https://taxii.example.com", Title: "fuzz", DefaultAPIRoot: "api1",
		APIRoots: []APIRoot{{Path: "api1", Title: "API root", MaxContentLength: 1 << 20,
			Collections: []Collection{{Collection: storage.Collection{ID: fuzzCollection, Alias: "indicators", Title: "Indicators"}}}}},
		Users:        []User{{Name: "alice", PasswordHash: string(hash), Permissions: map[string]Permission{fuzzCollection: {Read: true}}}},
		DefaultLimit: 2, MaxLimit: 10,
		PagingKey: []byte("fuzz-paging-key-0123456789abcdef"), NextMaxAge: 72 * time.Hour, Now: now,
	}, store)
	require.NoError(t, err)
	return srv, srv.roots[0].collections[fuzzCollection]
}

// FuzzQueryFilters sends fuzzed raw query strings to the four filtered
// endpoints through the real handler. The only answers are 200 and a TAXII
// 400 (the store is healthy and the object exists, so a 5xx or a 404 is a
// bug), and a 200 page respects limit, next and added_after.
func FuzzQueryFilters(f *testing.F) {
	srv, coll := fuzzServer(f)
	next := srv.pager.sign(coll.uuid, storage.Position{DateAdded: fuzzNow})
	for _, q := range []string{
		"", "limit=1", "limit=1000", "limit=0", "limit=-1", "limit=+3", "next=", "next=" + next, "limit=1&next=" + next,
		"added_after=2026-01-02T03:04:05.5Z", "added_after=2026-03-04T05:06:07%2B01:00", "added_after=2026-03-04T05:06:07 01:00",
		"added_after=0001-01-01T00:00:00Z", "added_after=9999-12-31T23:59:59-01:00", "added_after=x",
		"match[type]=indicator,malware", "match[type]=Indicator", "match[type]=indicator,,malware", "match[type]=a&match[type]=b",
		"match[id]=" + strings.ToUpper(fuzzIndicator), "match[id]=" + fuzzMalware + "," + fuzzIndicator, "match[id]=not-an-id",
		"match[version]=all", "match[version]=first,last", "match[version]=all,last", "match[version]=2025-06-02T00:00:00Z",
		"match[version]=2025-06-01T00:00:00Z,2025-06-01T00:00:00.000Z", "match[version]=", "match[version]=newest",
		"match[spec_version]=2.1", "match[spec_version]=2.0,2.1", "match[spec_version]=latest",
		"match[type]=malware%G1", "match[type]=indicator%00", "match[version]=all&added_after=2025-01-01T00:00:00Z&limit=2",
	} {
		for ep := range fuzzPaths {
			f.Add(q, uint8(ep))
		}
	}
	f.Fuzz(func(t *testing.T, rawQuery string, ep uint8) {
		req := httptest.NewRequest(http.MethodGet, fuzzPaths[int(ep)%len(fuzzPaths)], nil)
		req.URL.RawQuery = rawQuery
		req.Header.Set("Accept", MediaTypeTAXII)
		req.Header.Set("Authorization", basicHeader("alice", "alice-pw"))
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		require.Equal(t, MediaTypeTAXII, rec.Header().Get("Content-Type"), "query %q: %s", rawQuery, rec.Body)
		switch rec.Code {
		case http.StatusOK:
			checkFuzzPage(t, srv, coll, rawQuery, rec)
		case http.StatusBadRequest:
			checkFuzzError(t, rec)
		default:
			t.Fatalf("query %q: status %d: %s", rawQuery, rec.Code, rec.Body)
		}
	})
}

// checkFuzzError checks a TAXII error resource with the response's status.
func checkFuzzError(t *testing.T, rec *httptest.ResponseRecorder) {
	var e errorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
	assert.Equal(t, strconv.Itoa(rec.Code), e.HTTPStatus)
	assert.NotEmpty(t, e.Title)
	assert.NotEmpty(t, e.Description)
}

// checkFuzzPage checks a 200 page against the query that produced it.
func checkFuzzPage(t *testing.T, srv *Server, coll *collection, rawQuery string, rec *httptest.ResponseRecorder) {
	params, err := url.ParseQuery(rawQuery)
	require.NoError(t, err, "a query that is not URL encoding was served")
	var page struct {
		More     *bool             `json:"more"`
		Next     string            `json:"next"`
		Objects  []json.RawMessage `json:"objects"`
		Versions []string          `json:"versions"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page), rec.Body.String())
	require.NotNil(t, page.More, rec.Body.String())
	n := len(page.Objects) + len(page.Versions)
	assert.LessOrEqual(t, n, srv.cfg.MaxLimit)
	if limit, err := strconv.Atoi(params.Get("limit")); err == nil {
		assert.LessOrEqual(t, n, limit, "query %q", rawQuery)
	}
	require.Equal(t, *page.More, page.Next != "", "next is given exactly when more is true")
	if page.Next != "" {
		_, err := srv.pager.check(page.Next, coll.uuid)
		require.NoError(t, err, "the server's own next token")
	}
	first, last := rec.Header()[headerDateAddedFirst], rec.Header()[headerDateAddedLast]
	require.Equal(t, len(first), len(last), "date headers come in pairs")
	if len(first) == 0 {
		require.Zero(t, n, "a non-empty page has date headers")
		return
	}
	firstT, err := parseTimestamp(first[0])
	require.NoError(t, err)
	lastT, err := parseTimestamp(last[0])
	require.NoError(t, err)
	require.False(t, lastT.Before(firstT), "%s before %s", last[0], first[0])
	if after, err := parseTimestamp(params.Get("added_after")); err == nil && n > 0 {
		require.True(t, firstT.After(after), "%s returned for added_after %s", first[0], params.Get("added_after"))
	}
}

// FuzzParseTimestamp: a timestamp parseTimestamp accepts is UTC inside years
// 1-9999, re-parses to the same instant from its RFC 3339 form and to the
// same microsecond from the TAXII form the server writes, and the space an
// unencoded '+' decodes to means the same as the '+'.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{
		"2026-01-02T03:04:05.123456Z", "2026-01-02T03:04:05Z", "2026-01-02t03:04:05.5z", "2026-01-02T03:04:05.123456789Z",
		"2026-01-02T03:04:05+01:00", "2026-01-02T03:04:05 01:00", "2026-01-02T03:04:05.000-05:30", "2025-06-01T00:00:00.000Z",
		"0001-01-01T00:00:00Z", "0001-01-01T00:59:59+01:00", "9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59-00:01",
		"2026-02-30T00:00:00Z", "2026-01-02T24:00:00Z", "2026-01-02T23:59:60Z", "2026-01-02", "2026-01-02T03:04:05",
		"2026-01-02T03:04:05.Z", "2026-01-02T03:04:05.1234567890Z", "2026-01-02T03:04:05+24:00", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := parseTimestamp(s)
		if err != nil {
			return
		}
		require.Equal(t, time.UTC, ts.Location())
		require.True(t, ts.Year() >= 1 && ts.Year() <= 9999, "%q is year %d", s, ts.Year())
		exact, err := parseTimestamp(ts.Format(time.RFC3339Nano))
		require.NoError(t, err, "%q re-formatted", s)
		require.True(t, exact.Equal(ts), "%q: %s then %s", s, ts, exact)
		taxii, err := parseTimestamp(formatTimestamp(ts))
		require.NoError(t, err, "%q re-formatted as %q", s, formatTimestamp(ts))
		require.True(t, taxii.Equal(ts.Truncate(time.Microsecond)), "%q: %s then %s", s, ts, taxii)
		if n := len(s); n > 6 && s[n-6] == '+' {
			spaced, err := parseTimestamp(s[:n-6] + " " + s[n-5:])
			require.NoError(t, err)
			require.True(t, spaced.Equal(ts))
		}
	})
}

func fuzzPager(key string) pager {
	return pager{key: []byte(key), maxAge: 72 * time.Hour, now: func() time.Time { return fuzzNow }}
}

var fuzzCollections = []uuid.UUID{uuid.MustParse(fuzzCollection), uuid.MustParse("5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9")}

// FuzzPagerCheck: a token not signed with the server's key never verifies,
// for any collection. The seeds include real tokens of another key (a
// replica with a different store, or one from before a key change).
func FuzzPagerCheck(f *testing.F) {
	other := fuzzPager("some other server's paging key!!")
	for _, coll := range fuzzCollections {
		tok := other.sign(coll, storage.Position{DateAdded: fuzzNow.Add(-time.Hour)})
		f.Add(tok)
		f.Add(tok[:len(tok)-1])
		f.Add(tok + "A")
		f.Add(strings.ReplaceAll(strings.ReplaceAll(tok, "-", "+"), "_", "/"))
	}
	for _, s := range []string{"", "0", "AQ", "null", "not a token", strings.Repeat("A", 66), strings.Repeat("_", 66), base64.RawURLEncoding.EncodeToString(make([]byte, 49))} {
		f.Add(s)
	}
	p := fuzzPager("fuzz-paging-key-0123456789abcdef")
	f.Fuzz(func(t *testing.T, token string) {
		for _, coll := range fuzzCollections {
			pos, err := p.check(token, coll)
			require.Error(t, err, "%q verified for %s as %s", token, coll, pos.DateAdded)
		}
	})
}

// FuzzPagerRoundTrip: a token signed for a collection and position checks
// back to that position while it is fresh and only then, never verifies
// for another collection, and stops verifying when any bit of it changes.
func FuzzPagerRoundTrip(f *testing.F) {
	f.Add(fuzzNow.UnixMicro(), []byte(fuzzCollections[0][:]), []byte(fuzzCollections[1][:]), int32(60), uint16(0))
	f.Add(int64(0), []byte{}, []byte{1}, int32(0), uint16(17*8))
	f.Add(int64(-1), []byte("sixteen bytes!!!"), []byte("sixteen bytes!!?"), int32(72*3600), uint16(391))
	f.Add(int64(1)<<62, []byte{0xff}, []byte{0xff}, int32(72*3600+1), uint16(200))
	f.Add(int64(math.MinInt64), []byte("x"), []byte("y"), int32(-300), uint16(8))
	f.Add(int64(math.MaxInt64), []byte("x"), []byte("z"), int32(-301), uint16(9))
	p := fuzzPager("fuzz-paging-key-0123456789abcdef")
	f.Fuzz(func(t *testing.T, micros int64, collBytes, otherBytes []byte, ageSeconds int32, flip uint16) {
		var coll, other uuid.UUID
		copy(coll[:], collBytes)
		copy(other[:], otherBytes)
		signer := p
		issued := fuzzNow.Add(-time.Duration(ageSeconds) * time.Second)
		signer.now = func() time.Time { return issued }
		token := signer.sign(coll, storage.Position{DateAdded: time.UnixMicro(micros)})

		fresh := fuzzNow.Sub(issued) <= p.maxAge && issued.Sub(fuzzNow) <= tokenClockSkew
		pos, err := p.check(token, coll)
		if fresh {
			require.NoError(t, err)
			require.Equal(t, micros, pos.DateAdded.UnixMicro())
		} else {
			require.Error(t, err, "a token %ds old verified", ageSeconds)
		}
		if other != coll {
			_, err := p.check(token, other)
			require.Error(t, err, "a token of %s verified for %s", coll, other)
		}
		b, err := base64.RawURLEncoding.DecodeString(token)
		require.NoError(t, err)
		i := int(flip) % (len(b) * 8)
		b[i/8] ^= 1 << (i % 8)
		_, err = p.check(base64.RawURLEncoding.EncodeToString(b), coll)
		require.Error(t, err, "bit %d flipped still verifies", i)
	})
}

// FuzzAcceptable: only a header that names a TAXII or STIX media type with
// a version is refused, and listing TAXII 2.1 itself always makes a header
// acceptable, whatever else it holds.
func FuzzAcceptable(f *testing.F) {
	for _, h := range []string{
		"", "*/*", "application/json", "application/taxii+json", MediaTypeTAXII, "application/taxii+json; version=2.1",
		MediaTypeTAXII + "," + MediaTypeSTIX, "application/json, text/plain, */*", "text/html, application/taxii+json;version=2.1;q=0.9",
		"application/taxii+json;version=2.0, */*;q=0.1", "application/taxii+json;version=2.0", "application/stix+json;version=2.0",
		"application/taxii+json;version=2.1;q=0, application/taxii+json;version=3.0", `application/taxii+json; version="2.0"`,
		"application/TAXII+JSON; VERSION=2.0", "application/taxii+json; version*=utf-8''2.0", "application/taxii+json;q=0",
		"not a media type", "application/taxii+json;version=2.0;q=abc", ",,,",
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if !acceptable(header) {
			lower := strings.ToLower(header)
			require.True(t, strings.Contains(lower, "version") && (strings.Contains(lower, "taxii+json") || strings.Contains(lower, "stix+json")),
				"%q refused without naming a TAXII or STIX version", header)
		}
		require.True(t, acceptable(header+","+MediaTypeTAXII), "%q plus TAXII 2.1 refused", header)
		require.True(t, acceptable(MediaTypeTAXII+","+header), "TAXII 2.1 plus %q refused", header)
	})
}

// fuzzPasswords are the accounts of FuzzAuthenticate. svc-misp's password
// has 72 bytes, the most bcrypt (and gib-taxii hash-password) takes.
var fuzzPasswords = map[string]string{
	"alice":    "alice-pw",
	"svc-misp": "Zq7u0bW9lX1r4Kc8pT2mVy6nHd3sGf5jEa0oLi9wRb4tNx7kUe1qYh8zDc2vPg6mSj3A-_=Q",
}

// FuzzAuthenticate: only the exact name and password of a user
// authenticate as that user, however the header is spelled; a request
// without credentials is anonymous, and any credentials that are not a
// user's are refused.
func FuzzAuthenticate(f *testing.F) {
	var users []User
	for _, name := range slices.Sorted(maps.Keys(fuzzPasswords)) {
		pw := fuzzPasswords[name]
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		require.NoError(f, err)
		users = append(users, User{Name: name, PasswordHash: string(hash)})
		f.Add(basicHeader(name, pw), name, pw)
		f.Add("basic   "+base64.StdEncoding.EncodeToString([]byte(name+":"+pw))+" ", name, pw+"x")
		f.Add("Bearer "+pw, name, strings.ToUpper(pw))
	}
	f.Add("", "alice", "")
	f.Add("Basic", "", "")
	f.Add("Basic !!!", "alice:alice-pw", "")
	f.Add("Basic "+base64.StdEncoding.EncodeToString([]byte("alice")), "mallory", "alice-pw")
	f.Add("Basic "+base64.RawStdEncoding.EncodeToString([]byte("alice:alice-pw")), "alice", "alice-pw\x00")
	a := newAuthenticator(users)
	f.Fuzz(func(t *testing.T, header, name, password string) {
		checkFuzzAuth(t, a, header)
		checkFuzzAuth(t, a, basicHeader(name, password))
		if pw, ok := fuzzPasswords[name]; ok && pw == password {
			p, err := a.authenticate(context.Background(), basicHeader(name, password))
			require.NoError(t, err)
			require.Equal(t, name, p.name())
		}
	})
}

func checkFuzzAuth(t *testing.T, a *authenticator, header string) {
	p, err := a.authenticate(context.Background(), header)
	switch {
	case err != nil:
		require.ErrorIs(t, err, errUnauthorized, "%q", header)
		require.Nil(t, p.user)
	case p.user == nil:
		require.Empty(t, header, "credentials %q taken as anonymous", header)
	default:
		// Decode as leniently as any spelling could: the credentials
		// inside must still be exactly the user's.
		_, encoded, _ := strings.Cut(header, " ")
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encoded), ""))
		require.NoError(t, err, "%q authenticated", header)
		want := p.user.Name + ":" + fuzzPasswords[p.user.Name]
		require.Equal(t, want, string(raw), "%q authenticated as %s", header, p.user.Name)
	}
}
