package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

// /healthz, /readyz and /metrics answer without credentials on the
// operations listener; a collection stopped by bad credentials makes
// /readyz degraded, with the reason. The TAXII port answers /healthz and a
// bare /readyz only: no error texts, no figures.
func TestOperationsEndpoints(t *testing.T) {
	sim := gibsim.New(gibsim.Config{Seed: 5, Items: 5, Collections: []string{"ioc/common", "malware/cnc"}})
	sim.Inject(gibsim.Fault{Kind: gibsim.FaultUnauthorized, Collection: "malware/cnc", Times: 1000})
	simSrv := httptest.NewServer(sim.Handler())
	defer simSrv.Close()
	cfg, err := demoConfig("127.0.0.1:0", filepath.Join(t.TempDir(), "s.db"), "pw", simSrv.URL+"/api/v2/", sim.Collections())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	addr, opsAddr, done := make(chan string, 1), make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr(); opsAddr <- a.OpsAddr() })
	}()
	base, opsBase := "http://"+<-addr, "http://"+<-opsAddr

	status, body := fetch(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok"}`, body)

	var ready struct {
		Status      string
		Store       string
		Collections map[string]struct{ Status, Reason string }
	}
	for range 200 {
		status, body = fetch(t, opsBase+"/readyz")
		require.Equal(t, http.StatusOK, status, body)
		require.NoError(t, json.Unmarshal([]byte(body), &ready))
		if ready.Collections["malware/cnc"].Status == "degraded" && ready.Collections["ioc/common"].Status == "ok" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.Equal(t, "degraded", ready.Status)
	assert.Equal(t, "ok", ready.Store)
	assert.Contains(t, ready.Collections["malware/cnc"].Reason, "bad credentials")
	assert.Equal(t, "ok", ready.Collections["ioc/common"].Status)

	status, body = fetch(t, base+"/readyz")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok"}`, body, "the TAXII port says the status alone")
	status, _ = fetch(t, base+"/metrics")
	assert.Equal(t, http.StatusUnauthorized, status, "metrics are not on the TAXII port")

	get(t, base+"/gib/collections/intel/objects/", demoUser, "pw")
	status, body = fetch(t, opsBase+"/metrics")
	assert.Equal(t, http.StatusOK, status)
	for _, want := range []string{
		`gib_taxii_requests_total{endpoint="objects",status="200"} 1`,
		`gib_taxii_request_duration_seconds_bucket{endpoint="objects"`,
		`gib_taxii_ingest_pages_total{gib_collection="ioc/common"}`,
		`gib_taxii_ingest_items_total{gib_collection="ioc/common"} 5`,
		`gib_taxii_ingest_failures_total{class="access",gib_collection="malware/cnc"} 1`,
		`gib_taxii_ingest_queued_items{gib_collection="ioc/common"} 0`,
		"gib_taxii_store_size_bytes",
	} {
		assert.Contains(t, body, want)
	}
	assert.False(t, strings.Contains(body, "api-key"), "no secrets in metrics")
	cancel()
	require.NoError(t, <-done)
}

func TestCollectionHealth(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		st   ingest.State
		want string
	}{
		"never polled":         {ingest.State{}, "starting"},
		"first pass failing":   {ingest.State{ConsecutiveErrors: 1, LastError: "timeout"}, "degraded"},
		"recent success":       {ingest.State{LastSuccess: now.Add(-time.Minute)}, "ok"},
		"one failure":          {ingest.State{LastSuccess: now.Add(-time.Minute), ConsecutiveErrors: 1}, "ok"},
		"three failures":       {ingest.State{LastSuccess: now.Add(-time.Minute), ConsecutiveErrors: 3}, "degraded"},
		"stopped":              {ingest.State{LastSuccess: now.Add(-time.Minute), Stopped: "401"}, "degraded"},
		"store unwritable":     {ingest.State{LastSuccess: now.Add(-time.Minute), ConsecutiveErrors: 1, LastErrorStore: true}, "degraded"},
		"hung (no success 2h)": {ingest.State{LastSuccess: now.Add(-2 * time.Hour)}, "degraded"},
	} {
		assert.Equal(t, tc.want, collectionHealth(tc.st, time.Hour, now).Status, name)
	}
}
