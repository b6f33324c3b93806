package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEnd runs serve against the simulator on loopback: the ingest
// loops poll every simulated collection, and each TAXII collection, paged
// over HTTP with Basic auth, holds exactly the latest versions of the
// objects the simulator's items map to.
func TestEndToEnd(t *testing.T) {
	sim := gibsim.New(gibsim.Config{Seed: 21, Items: 8, Drift: 0.2})
	simSrv := httptest.NewServer(sim.Handler())
	defer simSrv.Close()
	cfg, err := demoConfig("127.0.0.1:0", filepath.Join(t.TempDir(), "store.db"), "pw", simSrv.URL+"/api/v2/", sim.Collections())
	require.NoError(t, err)
	want := expectedVersions(t, sim, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() }) }()
	base := "http://" + <-addr + "/gib/collections/"
	for alias, expected := range want {
		var got map[string]string
		for range 300 { // until ingest has caught up
			if got = manifest(t, base+alias+"/manifest/"); len(got) >= len(expected) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for id, v := range expected {
			if v == "" { // unversioned (SCOs): the manifest reports date_added
				expected[id] = got[id]
			}
		}
		require.Equal(t, expected, got, "collection %s", alias)
	}
	cancel()
	require.NoError(t, <-done)
}

// expectedVersions maps every simulated item with the shipped mappings
// and returns, per TAXII collection alias, each object's latest version.
func expectedVersions(t *testing.T, sim *gibsim.Simulator, cfg Config) map[string]map[string]string {
	engine, err := loadMappings("")
	require.NoError(t, err)
	out := map[string]map[string]string{}
	for _, coll := range cfg.TAXII.APIRoots[0].Collections {
		types := typeSet(coll.Types)
		versions := map[string]string{}
		for _, src := range coll.Sources {
			for _, item := range sim.Items(src) {
				raws, err := engine.Map(src, item)
				if errors.Is(err, mapping.ErrNoRule) {
					break // ingest counts such items as skipped
				}
				require.NoError(t, err, src)
				for _, raw := range raws {
					obj, err := storage.ParseObject(raw)
					require.NoError(t, err)
					if types == nil || types[obj.Type] {
						v := obj.VersionText
						if old, ok := versions[obj.ID]; !ok || later(v, old) {
							versions[obj.ID] = v
						}
					}
				}
			}
		}
		out[coll.Alias] = versions
	}
	return out
}

func later(a, b string) bool {
	ta, _ := storage.ParseTimestamp(a)
	tb, _ := storage.ParseTimestamp(b)
	return ta.After(tb)
}

// manifest pages through a collection's manifest by next and returns
// each object's version.
func manifest(t *testing.T, u string) map[string]string {
	got := map[string]string{}
	next := ""
	for range 1000 {
		q := u + "?limit=1000"
		if next != "" {
			q += "&next=" + url.QueryEscape(next)
		}
		status, _, body := get(t, q, demoUser, "pw")
		require.Equal(t, 200, status)
		raw, _ := json.Marshal(body["objects"])
		var recs []struct{ ID, Version string }
		_ = json.Unmarshal(raw, &recs)
		for _, r := range recs {
			got[r.ID] = r.Version
		}
		if body["more"] != true {
			return got
		}
		next = body["next"].(string)
	}
	t.Fatal("paging did not end")
	return nil
}

// The SIEM collection's types hold every object its relationships refer
// to: a SIEM that follows an indicator's "indicates" finds the family.
func TestSIEMCollectionHasNoDanglingReferences(t *testing.T) {
	engine, err := loadMappings("")
	require.NoError(t, err)
	sim := gibsim.New(gibsim.Config{Seed: 5, Items: 40, Drift: 0.2})
	types := typeSet(siemTypes)
	ids, refs := map[string]bool{}, map[string]string{}
	for _, c := range siemSources(sim.Collections()) {
		for _, item := range sim.Items(c) {
			raws, err := engine.Map(c, item)
			require.NoError(t, err)
			for _, raw := range raws {
				var m map[string]any
				require.NoError(t, json.Unmarshal(raw, &m))
				if !types[m["type"].(string)] {
					continue
				}
				ids[m["id"].(string)] = true
				if m["type"] == "relationship" {
					refs[m["source_ref"].(string)] = c
					refs[m["target_ref"].(string)] = c
				}
			}
		}
	}
	require.NotEmpty(t, refs)
	for ref, c := range refs {
		assert.True(t, ids[ref], "%s: a relationship refers to %s, which the SIEM collection does not hold", c, ref)
	}
}
