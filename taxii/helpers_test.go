package taxii_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// Collections of the test server's API root "api1".
const (
	collIndicators = "8d2a4f1e-6c3b-4e5a-9f7d-1b2c3d4e5f60" // alice, bob: read
	collWriteOnly  = "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" // writable; alice: write only
	collPublic     = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9" // anonymous read
	collSecret     = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d" // writable; bob only
)

var hashes = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, u := range []string{"alice", "bob"} {
		h, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		out[u] = string(h)
	}
	return out
})

func testConfig() taxii.Config {
	coll := func(id, alias, title string, anon bool) taxii.Collection {
		return taxii.Collection{Collection: storage.Collection{ID: id, Alias: alias, Title: title, Description: title + " collection"},
			AnonymousRead: anon, Writable: id == collWriteOnly || id == collSecret}
	}
	return taxii.Config{
		ExternalURL:    "https://taxii.example.com",
		Title:          "gib-taxii test",
		DefaultAPIRoot: "api1",
		APIRoots: []taxii.APIRoot{{
			Path: "api1", Title: "API root one", MaxContentLength: 10 << 20,
			Collections: []taxii.Collection{
				coll(collIndicators, "indicators", "Indicators", false),
				coll(collWriteOnly, "", "Submissions", false),
				coll(collPublic, "public", "Public", true),
				coll(collSecret, "", "Secret", false),
			},
		}, {Path: "other/root", Title: "API root two", MaxContentLength: 1 << 20}},
		Users: []taxii.User{
			{Name: "alice", PasswordHash: hashes()["alice"], Permissions: map[string]taxii.Permission{
				collIndicators: {Read: true}, collWriteOnly: {Write: true},
			}},
			{Name: "bob", PasswordHash: hashes()["bob"], Permissions: map[string]taxii.Permission{
				collIndicators: {Read: true}, collSecret: {Read: true, Write: true},
			}},
		},
		DefaultLimit: 5,
		MaxLimit:     10,
		NextMaxAge:   72 * time.Hour,
	}
}

// fixture is a TAXII server over a real bbolt store in a temporary directory.
type fixture struct {
	t      testing.TB
	path   string
	cfg    taxii.Config
	store  *boltstore.Store
	srv    *taxii.Server
	clock  *testkit.Clock
	budget int
}

func newFixture(t testing.TB, edit ...func(*taxii.Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "store.db"), cfg: testConfig(),
		clock: testkit.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))}
	for _, e := range edit {
		e(&f.cfg)
	}
	f.open()
	t.Cleanup(func() { _ = f.store.Close() })
	return f
}

// open (re)opens the store and builds a fresh server, as a restart does.
func (f *fixture) open() {
	f.t.Helper()
	if f.store != nil {
		require.NoError(f.t, f.store.Close())
	}
	s, err := boltstore.Open(f.path, boltstore.Options{Now: f.clock.Now, MaxLimit: f.cfg.MaxLimit, ScanBudget: f.budget, NoSync: true})
	require.NoError(f.t, err)
	f.store = s
	cfg := f.cfg
	cfg.PagingKey = s.PagingKey()
	if cfg.Now == nil {
		cfg.Now = f.clock.Now
	}
	f.srv, err = taxii.New(cfg, s)
	require.NoError(f.t, err)
}

// reopenWith restarts with a store scan budget.
func (f *fixture) reopenWith(budget int) {
	f.budget = budget
	f.open()
}

// add commits objects to a collection, each stamped by the fixture clock.
func (f *fixture) add(collection string, objs ...storage.Object) {
	f.t.Helper()
	_, err := f.store.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: collection, Objects: objs}}})
	require.NoError(f.t, err)
}

type request struct {
	header map[string]string
	body   io.Reader
}

type option func(*request)

func as(user, password string) option {
	return func(r *request) {
		r.header["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	}
}

func anonymous() option { return func(r *request) { delete(r.header, "Authorization") } }

func header(k, v string) option { return func(r *request) { r.header[k] = v } }

// body sends b; a POST gets the TAXII Content-Type unless told otherwise.
func body(b io.Reader) option { return func(r *request) { r.body = b } }

// get sends a GET as alice with the TAXII Accept header unless told otherwise.
func (f *fixture) get(path string, opts ...option) *httptest.ResponseRecorder {
	return f.do(http.MethodGet, path, opts...)
}

func (f *fixture) do(method, path string, opts ...option) *httptest.ResponseRecorder {
	f.t.Helper()
	r := &request{header: map[string]string{"Accept": taxii.MediaTypeTAXII}}
	as("alice", "alice-pw")(r)
	if method == http.MethodPost {
		r.header["Content-Type"] = taxii.MediaTypeTAXII
	}
	for _, o := range opts {
		o(r)
	}
	req := httptest.NewRequest(method, path, r.body)
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// decode parses a response body, asserting the TAXII content type first.
func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	require.Equal(t, taxii.MediaTypeTAXII, rec.Header().Get("Content-Type"), "body: %s", rec.Body)
	var v T
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v), rec.Body.String())
	return v
}

type errorBody struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	HTTPStatus  string `json:"http_status"`
}

// assertError checks status, TAXII content type and a TAXII error body.
func assertError(t testing.TB, rec *httptest.ResponseRecorder, status int) errorBody {
	t.Helper()
	assert.Equal(t, status, rec.Code, "body: %s", rec.Body)
	e := decode[errorBody](t, rec)
	assert.Equal(t, fmt.Sprint(status), e.HTTPStatus)
	assert.NotEmpty(t, e.Title)
	return e
}

type envelope struct {
	More    *bool             `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

type stixHead struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Modified string `json:"modified"`
}

func heads(t testing.TB, env envelope) []stixHead {
	t.Helper()
	var out []stixHead
	for _, raw := range env.Objects {
		var h stixHead
		require.NoError(t, json.Unmarshal(raw, &h))
		out = append(out, h)
	}
	return out
}

func stixID(typ string, n int) string {
	return fmt.Sprintf("%s--%08x-aaaa-4bbb-8ccc-dddddddddddd", typ, n)
}

// stixObject builds a STIX object number n of a type, at a modified time.
func stixObject(t testing.TB, typ string, n int, modified time.Time) storage.Object {
	t.Helper()
	raw := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":%q,"name":"object %d"}`,
		typ, stixID(typ, n), modified.UTC().Format("2006-01-02T15:04:05.000Z"), n)
	obj, err := storage.ParseObject([]byte(raw))
	require.NoError(t, err)
	return obj
}

var t0 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

const api1 = "/api1/collections/"

// dateHeader returns X-TAXII-Date-Added-First or -Last, which the server
// writes in the spec's spelling rather than Go's canonical one.
func dateHeader(rec *httptest.ResponseRecorder, which string) string {
	v := rec.Header()["X-TAXII-Date-Added-"+which]
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
