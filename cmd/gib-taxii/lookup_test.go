package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
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
// ingesting them all into one collection with every type kept.
func lookupSetup(t *testing.T) (*gibsim.Simulator, string, func(string) string) {
	sim := gibsim.New(gibsim.Config{Seed: 3, Items: 40, Collections: lookupCollections})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	yaml := fmt.Sprintf(`
storage: {path: %q}
taxii:
  listen: 127.0.0.1:0
  api_roots:
    - path: gib
      title: Group-IB
      collections:
        - {id: %s, alias: ips, title: IPs, sources: [suspicious_ip/scanner, suspicious_ip/tor_node, suspicious_ip/vpn]}
groupib:
  url: %s
  username: user@example.com
  api_key: api-key
  rate_limit: 1000
  burst: 100
  collections:
    suspicious_ip/scanner: {lookback: 1000h}
    suspicious_ip/tor_node: {lookback: 1000h}
    suspicious_ip/vpn: {lookback: 1000h}
log: {level: warn}
`, filepath.Join(dir, "store.db"), testCollection, srv.URL+"/api/v2/")
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return sim, path, func(string) string { return "" }
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
	sim, cfgPath, getenv := lookupSetup(t)
	value, colls := sharedAddress(t, sim)

	e, _, _ := testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, []string{"ingest", "--config", cfgPath, "--once"}))
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
