package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lookupCollections are simulated collections sharing an address pool.
var lookupCollections = []string{"suspicious_ip/scanner", "suspicious_ip/tor_node", "suspicious_ip/vpn"}

// lookupSetup starts a simulator of lookupCollections and writes a config
// ingesting them all into one collection with every type kept, with two
// users: analyst (read, lookup) and reader (read only). lookupYAML is
// added under groupib.
func lookupSetup(t *testing.T, lookupYAML string) (*gibsim.Simulator, *httptest.Server, string, func(string) string) {
	sim := gibsim.New(gibsim.Config{Seed: 3, Items: 40, Collections: lookupCollections})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	hash := analystHash(t)
	yaml := fmt.Sprintf(`
storage: {path: %q}
taxii:
  listen: 127.0.0.1:0
  api_roots:
    - path: gib
      title: Group-IB
      collections:
        - {id: %s, alias: ips, title: IPs, sources: [suspicious_ip/scanner, suspicious_ip/tor_node, suspicious_ip/vpn]}
        - {alias: kept, title: Looked up, writable: true}
users:
  - {name: analyst, password_hash: %q, permissions: {ips: read, kept: read-write}, lookup: true}
  - {name: reader, password_hash: %q, permissions: {ips: read}}
groupib:
  url: %s
  username: user@example.com
  api_key: api-key
  rate_limit: 1000
  burst: 100
  %s
  collections:
    suspicious_ip/scanner: {lookback: 1000h}
    suspicious_ip/tor_node: {lookback: 1000h}
    suspicious_ip/vpn: {lookback: 1000h}
log: {level: warn}
`, filepath.Join(dir, "store.db"), testCollection, hash, hash, srv.URL+"/api/v2/", lookupYAML)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return sim, srv, path, func(string) string { return "" }
}

// sharedAddress is an address held by items of at least two of the
// simulator's collections, with those collections.
func sharedAddress(t *testing.T, sim *gibsim.Simulator) (string, []string) {
	in := map[string]map[string]bool{}
	for _, c := range sim.Collections() {
		for _, raw := range sim.Items(c) {
			var item struct {
				ID string `json:"id"` // suspicious_ip items are named by their address
			}
			require.NoError(t, json.Unmarshal(raw, &item))
			if _, err := netip.ParseAddr(item.ID); err == nil {
				if in[item.ID] == nil {
					in[item.ID] = map[string]bool{}
				}
				in[item.ID][c] = true
			}
		}
	}
	for _, v := range slices.Sorted(maps.Keys(in)) {
		if len(in[v]) >= 2 {
			return v, slices.Sorted(maps.Keys(in[v]))
		}
	}
	t.Fatal("no address in two collections")
	return "", nil
}

func runLookupBundle(t *testing.T, cfgPath string, getenv func(string) string, args ...string) bundle {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.json")
	e, _, _ := testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, append([]string{"lookup", "--config", cfgPath, "-o", out}, args...)))
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var b bundle
	require.NoError(t, json.Unmarshal(raw, &b), "%s", raw)
	require.Equal(t, "bundle", b.Type)
	return b
}

// A value held by two Group-IB collections comes back from both, as the
// very objects ingest stores for those items (same ids, same bytes); an
// unknown value gives an empty bundle; one item comes by collection and id.
func TestLookupMapsLikeIngest(t *testing.T) {
	sim, _, cfgPath, getenv := lookupSetup(t, "")
	value, colls := sharedAddress(t, sim)

	ingestOnce(t, cfgPath, getenv)
	stored := storedObjects(t, filepath.Join(filepath.Dir(cfgPath), "store.db"))

	b := runLookupBundle(t, cfgPath, getenv, value)
	require.NotEmpty(t, b.Objects)
	found := map[string]bool{}
	for _, raw := range b.Objects {
		obj, err := storage.ParseObject(raw)
		require.NoError(t, err)
		want, ok := stored[obj.ID+"@"+obj.VersionText]
		require.True(t, ok, "ingest stored %s too", obj.ID)
		assert.JSONEq(t, want, string(raw), "the same object as ingest's")
		found[obj.ID] = true
	}
	// Each collection's item is in the answer: every object the mapping
	// makes of it.
	engine, err := loadMappings("")
	require.NoError(t, err)
	for _, c := range colls {
		var item json.RawMessage
		for _, raw := range sim.Items(c) {
			var it struct {
				ID string `json:"id"`
			}
			require.NoError(t, json.Unmarshal(raw, &it))
			if it.ID == value {
				item = raw
			}
		}
		require.NotNil(t, item, c)
		objs, err := engine.MapObjects(c, item)
		require.NoError(t, err)
		require.NotEmpty(t, objs)
		for _, o := range objs {
			assert.True(t, found[o.ID], "%s: %s %s is in the lookup's answer", c, o.Type, o.ID)
		}
	}
	// The summary names both collections.
	e, out, _ := testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, []string{"lookup", "--config", cfgPath, "--format", "table", value}))
	for _, c := range colls {
		assert.Contains(t, out.String(), c)
	}

	empty := runLookupBundle(t, cfgPath, getenv, "203.0.113.254")
	assert.Empty(t, empty.Objects)

	one := runLookupBundle(t, cfgPath, getenv, "--collection", colls[0], "--id", value)
	require.NotEmpty(t, one.Objects)
	for _, raw := range one.Objects {
		obj, err := storage.ParseObject(raw)
		require.NoError(t, err)
		assert.Contains(t, stored, obj.ID+"@"+obj.VersionText)
	}
}

// storedObjects reads every stored version of the test collection, by
// id@version.
func storedObjects(t *testing.T, path string) map[string]string {
	s, err := boltstore.Open(path, boltstore.Options{})
	require.NoError(t, err)
	defer s.Close()
	out := map[string]string{}
	q := storage.Query{Collection: testCollection, Limit: 1000, Versions: storage.Versions{All: true}}
	for {
		p, err := s.Records(context.Background(), q)
		require.NoError(t, err)
		for _, r := range p.Records {
			out[r.ID+"@"+r.VersionText] = string(r.JSON)
		}
		if !p.More {
			return out
		}
		q.Resume = p.Next
	}
}

// serveLookups ingests the simulated collections once, then serves the
// config in-process; it returns the server's base URL.
func serveLookups(t *testing.T, cfgPath string, getenv func(string) string) string {
	ingestOnce(t, cfgPath, getenv)
	cfg, err := loadConfig(cfgPath, getenv)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() }) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return "http://" + <-addr
}

// lookupGet asks the lookup extension; the bundle's objects by id.
func lookupGet(t *testing.T, url, user string) (int, http.Header, map[string]bool) {
	t.Helper()
	status, header, body := getRaw(t, url, user, "s3cret")
	ids := map[string]bool{}
	if status == http.StatusOK {
		var b bundle
		require.NoError(t, json.Unmarshal(body, &b), "%s", body)
		require.Equal(t, "bundle", b.Type)
		for _, raw := range b.Objects {
			obj, err := storage.ParseObject(raw)
			require.NoError(t, err)
			ids[obj.ID] = true
		}
	}
	return status, header, ids
}

// The lookup extension over real HTTP: the store's objects carrying the
// value and Group-IB's, permissions enforced, and the local index still
// answering when the Group-IB API is down.
func TestLookupEndpoint(t *testing.T) {
	sim, srv, cfgPath, getenv := lookupSetup(t, "")
	value, _ := sharedAddress(t, sim)
	base := serveLookups(t, cfgPath, getenv)
	url := base + "/gib/lookup/?q=" + value

	status, h, local := lookupGet(t, url+"&local=only", "analyst")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "off", h.Get("X-Gib-Lookup-Upstream"))
	require.NotEmpty(t, local, "ingest stored objects carrying %s", value)
	assert.Equal(t, strconv.Itoa(len(local)), h.Get("X-Gib-Lookup-Local"))

	status, h, both := lookupGet(t, url, "analyst")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/stix+json;version=2.1", h.Get("Content-Type"))
	for id := range local {
		assert.True(t, both[id], "the local answer is in the full one: %s", id)
	}
	assert.Regexp(t, `^\d+$`, h.Get("X-Gib-Lookup-Upstream"), "Group-IB was asked")

	// store= keeps Group-IB's objects in a writable collection.
	status, h, _ = lookupGet(t, url+"&store=kept", "analyst")
	require.Equal(t, http.StatusOK, status)
	stored, err := strconv.Atoi(h.Get("X-Gib-Lookup-Stored"))
	require.NoError(t, err)
	assert.Positive(t, stored)
	status, _, env := get(t, base+"/gib/collections/kept/objects/?limit=1000", "analyst", "s3cret")
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, env["objects"], stored)
	status, _, _ = lookupGet(t, url+"&store=ips", "analyst")
	assert.Equal(t, http.StatusForbidden, status, "a feed collection takes no writes")

	status, _, _ = lookupGet(t, url, "reader")
	assert.Equal(t, http.StatusForbidden, status, "no lookup grant")
	status, _, _ = lookupGet(t, url, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = lookupGet(t, base+"/gib/lookup/", "analyst")
	assert.Equal(t, http.StatusBadRequest, status, "q is required")

	// Group-IB down: the store still answers, for a value not cached.
	srv.Close()
	other := ""
	for _, raw := range sim.Items(lookupCollections[0]) {
		var it struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(raw, &it))
		if it.ID != value {
			other = it.ID
			break
		}
	}
	status, h, ids := lookupGet(t, base+"/gib/lookup/?q=ip:"+other, "analyst")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "error", h.Get("X-Gib-Lookup-Upstream"))
	assert.NotEmpty(t, ids, "the local index answered")
}

// A spent lookup budget is a 503 with Retry-After, not an error, and
// sends nothing to Group-IB.
func TestLookupEndpointBudget(t *testing.T) {
	sim, _, cfgPath, getenv := lookupSetup(t, "lookup: {budget: 0.001, burst: 2}")
	value, _ := sharedAddress(t, sim)
	base := serveLookups(t, cfgPath, getenv)
	lookups := func() int { // ingest polls the simulator meanwhile: count the lookups' requests
		n := 0
		for _, q := range sim.Queries() {
			if strings.Contains(q, "q=") {
				n++
			}
		}
		return n
	}
	status, _, _ := lookupGet(t, base+"/gib/lookup/?q="+value, "analyst")
	require.Equal(t, http.StatusOK, status, "the burst pays for a global search and one collection")
	assert.Equal(t, 2, lookups())
	status, h, _ := lookupGet(t, base+"/gib/lookup/?q=203.0.113.9", "analyst")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	require.NoError(t, err)
	assert.Greater(t, secs, 60, "a token every 1,000 s")
	assert.Equal(t, 2, lookups(), "nothing sent without a token")
}
