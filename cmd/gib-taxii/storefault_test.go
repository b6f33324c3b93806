//go:build linux

package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadOnlyStoreShowsWithinOnePoll: the store file stops taking writes
// under a running serve (the filesystem remounted read-only). The failure
// cannot be written to the store, yet /readyz, /metrics and status show it
// within one poll, and all is well again once the file is writable.
func TestReadOnlyStoreShowsWithinOnePoll(t *testing.T) {
	sim := gibsim.New(gibsim.Config{Seed: 41, Items: 10, Collections: []string{"ioc/common"}})
	simSrv := httptest.NewServer(sim.Handler())
	defer simSrv.Close()
	cfg, err := demoConfig("127.0.0.1:0", filepath.Join(t.TempDir(), "store.db"), "pw", simSrv.URL+"/api/v2/", sim.Collections())
	require.NoError(t, err)
	poll := 300 * time.Millisecond
	c := cfg.GroupIB.Collections["ioc/common"]
	c.PollInterval = poll
	cfg.GroupIB.Collections["ioc/common"] = c
	ctx, cancel := context.WithCancel(context.Background())
	opsAddr, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { opsAddr <- a.OpsAddr() })
	}()
	ops := "http://" + <-opsAddr
	waitReady(t, ops, "ok", "")

	restore := testkit.BreakWrites(t, cfg.Storage.Path, testkit.ReadOnly)
	sim.Advance(3) // something to store
	broke := time.Now()
	h := waitReady(t, ops, "degraded", "ioc/common")
	assert.Less(t, time.Since(broke), poll+3*time.Second, "shown within one poll (and a request)")
	assert.Contains(t, h.Reason, "store")
	_, metrics := fetch(t, ops+"/metrics")
	assert.Contains(t, metrics, `gib_taxii_ingest_failures_total{class="store",gib_collection="ioc/common"}`)
	assert.Contains(t, metrics, `gib_taxii_ingest_consecutive_errors{gib_collection="ioc/common"}`)

	restore()
	waitReady(t, ops, "ok", "")
	cancel()
	require.NoError(t, <-done)
}

type healthView struct{ Status, Reason string }

// waitReady polls /readyz until its status is want (and, if collection is
// set, that collection's too), and returns the collection's health.
func waitReady(t *testing.T, ops, want, collection string) healthView {
	t.Helper()
	var ready struct {
		Status      string
		Collections map[string]healthView
	}
	for range 500 {
		status, body := fetch(t, ops+"/readyz")
		require.Equal(t, http.StatusOK, status, body)
		require.NoError(t, json.Unmarshal([]byte(body), &ready))
		if ready.Status == want && (collection == "" || ready.Collections[collection].Status == want) {
			return ready.Collections[collection]
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.FailNow(t, "readyz never reached "+want, "%+v", ready)
	return healthView{}
}
