package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDamagedStoreFailsSafe: a store with 64 KiB overwritten in the middle
// (a failing disk, a torn copy) once crashed export with a bbolt panic, let
// status and /readyz call it healthy, and killed serve on its first write.
// Now every command says the file is damaged and what to do, and serve
// keeps answering, with /readyz at 503 and the damage in /metrics.
func TestDamagedStoreFailsSafe(t *testing.T) {
	cfgPath, cfg := writeConfig(t)
	importIndicators(t, cfgPath, 3000)
	damageMiddle(t, cfg.Storage.Path)

	for _, args := range [][]string{
		{"export", "--config", cfgPath, "--collection", "indicators", "-o", filepath.Join(t.TempDir(), "out.json")},
		{"check", "--config", cfgPath},
		{"status", "--config", cfgPath},
	} {
		ce, out, _ := testEnv("")
		err := run(context.Background(), ce, args)
		require.Error(t, err, args[0])
		assert.ErrorIs(t, err, storage.ErrCorrupt, "%s: %v", args[0], err)
		assert.Contains(t, err.Error(), cfg.Storage.Path, "%s names the file", args[0])
		assert.Contains(t, err.Error(), "restore", "%s says what to do", args[0])
		if args[0] != "export" {
			assert.Contains(t, out.String(), "bbolt:", "%s lists what it found", args[0])
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	addr, opsAddr, done := make(chan string, 1), make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr(); opsAddr <- a.OpsAddr() })
	}()
	base, opsBase := "http://"+<-addr, "http://"+<-opsAddr
	var status int
	var body string
	for range 200 { // the start-up check runs beside the listener
		if status, body = fetch(t, base+"/readyz"); status == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.JSONEq(t, `{"status":"unavailable"}`, body, "no paths or error texts on the TAXII port")
	status, body = fetch(t, opsBase+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, body, "is damaged")
	_, body = fetch(t, opsBase+"/metrics")
	assert.Contains(t, body, "gib_taxii_store_damaged 1")
	for range 5 {
		status, _, _ := get(t, base+"/gib/collections/indicators/objects/?limit=5", "analyst", "s3cret")
		assert.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, status, "what can be read is served; what cannot is a 503, never a crash")
	}
	cancel()
	require.NoError(t, <-done)
}

// damageMiddle compacts the store (so that no free page can absorb the
// damage) and overwrites 64 KiB in the middle of its pages with zeros.
func damageMiddle(t *testing.T, path string) {
	t.Helper()
	compact, inUse := testkit.CompactBolt(t, path)
	raw, err := os.ReadFile(compact)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	testkit.Overwrite(t, path, inUse/2, make([]byte, 64<<10))
}
