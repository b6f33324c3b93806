package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ingestConfig writes a config polling the simulator at simURL into its
// own store, with the credentials in files as Docker secrets would be.
func ingestConfig(t *testing.T, simURL string) (string, func(string) string) {
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
        - {id: %s, alias: indicators, title: Indicators, sources: [ioc/common, malware/cnc], types: [indicator, identity, marking-definition]}
users:
  - {name: analyst, password_hash: %q, permissions: {indicators: read}}
ops: {listen: 127.0.0.1:0}
groupib:
  url: %s
  rate_limit: 1000
  burst: 100
  collections:
    ioc/common: {lookback: 1000h, limit: 50}
    malware/cnc: {lookback: 1000h, limit: 50}
    apt/threat: {enabled: false}
log: {level: warn}
`, filepath.Join(dir, "store.db"), testCollection, hash, simURL)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	secrets := map[string]string{"GIB_USERNAME_FILE": filepath.Join(dir, "user"), "GIB_API_KEY_FILE": filepath.Join(dir, "key")}
	require.NoError(t, os.WriteFile(secrets["GIB_USERNAME_FILE"], []byte("user@example.com\n"), 0o600))
	require.NoError(t, os.WriteFile(secrets["GIB_API_KEY_FILE"], []byte("api-key\n"), 0o600))
	return path, func(k string) string { return secrets[k] }
}

// ingestOnce runs `gib-taxii ingest --once` in-process, which must succeed.
func ingestOnce(t *testing.T, cfgPath string, getenv func(string) string) {
	t.Helper()
	e, _, _ := testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, []string{"ingest", "--config", cfgPath, "--once"}))
}

func startSim(t *testing.T) *httptest.Server {
	sim := gibsim.New(gibsim.Config{Seed: 11, Items: 40, Drift: 0.2, Collections: []string{"ioc/common", "malware/cnc"}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func storedCount(t *testing.T, path string) int {
	s, err := boltstore.Open(path, boltstore.Options{})
	require.NoError(t, err)
	defer s.Close()
	page, err := s.Records(context.Background(), storage.Query{Collection: testCollection, Limit: 1000})
	require.NoError(t, err)
	require.False(t, page.More)
	return len(page.Records)
}

// ingest --once lands the simulated feed, and status shows it.
func TestIngestOnceAndStatus(t *testing.T) {
	srv := startSim(t)
	cfgPath, getenv := ingestConfig(t, srv.URL+"/api/v2/")
	e, out, _ := testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, []string{"ingest", "--config", cfgPath, "--once"}))
	for _, want := range []string{"ioc/common", "malware/cnc", "seqUpdate", "Indicators", testCollection} {
		assert.Contains(t, out.String(), want)
	}
	assert.NotContains(t, out.String(), "apt/threat", "disabled collections are not polled")

	e, out, _ = testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, []string{"status", "--config", cfgPath}))
	assert.Regexp(t, `ioc/common\s+seqUpdate \d+\s+0\s+40\s+`, out.String())

	cfg, err := loadConfig(cfgPath, getenv)
	require.NoError(t, err)
	assert.Greater(t, storedCount(t, cfg.Storage.Path), 80, "indicators of 80 items, plus identity and marking")
}

// serve runs the ingest loops beside the TAXII server: what they land is
// served, and equals what a one-shot pass lands.
func TestServeIngestsAndServes(t *testing.T) {
	srv := startSim(t)
	cfgPath, getenv := ingestConfig(t, srv.URL+"/api/v2/")
	ingestOnce(t, cfgPath, getenv)
	once, err := loadConfig(cfgPath, getenv)
	require.NoError(t, err)
	want := storedCount(t, once.Storage.Path)

	cfgPath2, _ := ingestConfig(t, srv.URL+"/api/v2/")
	cfg, err := loadConfig(cfgPath2, getenv)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() })
	}()
	base := "http://" + <-addr
	got := 0
	for range 100 {
		status, _, env := get(t, base+"/gib/collections/indicators/manifest/?limit=1000", "analyst", "s3cret")
		require.Equal(t, http.StatusOK, status)
		if objs, ok := env["objects"].([]any); ok {
			got = len(objs)
		}
		if got >= want {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, want, got)
	cancel()
	require.NoError(t, <-done)
}

func TestGroupIBConfig(t *testing.T) {
	cfgPath, getenv := ingestConfig(t, "http://127.0.0.1:1/api/v2/")
	cfg, err := loadConfig(cfgPath, getenv)
	require.NoError(t, err)
	assert.Equal(t, "user@example.com", cfg.GroupIB.Username, "from GIB_USERNAME_FILE, trimmed")
	colls := cfg.ingestCollections()
	require.Len(t, colls, 2)
	assert.Equal(t, "ioc/common", colls[0].Name)
	require.Len(t, colls[0].Routes, 1)
	assert.True(t, colls[0].Routes[0].Types["indicator"])

	_, err = loadConfig(cfgPath, func(k string) string {
		if k == "GIB_API_KEY_FILE" {
			return "/nonexistent"
		}
		return ""
	})
	assert.ErrorContains(t, err, "GIB_API_KEY_FILE")
	cfg, err = loadConfig(cfgPath, noEnv)
	require.NoError(t, err, "commands that never call the API need no credentials")
	assert.ErrorContains(t, cfg.pollCredentials(), "groupib.username: username and api_key are required")
	for _, cmd := range [][]string{{"status", "--config", cfgPath}, {"check", "--config", cfgPath},
		{"export", "--config", cfgPath, "--collection", "indicators", "-o", filepath.Join(t.TempDir(), "o.json")}} {
		e, _, _ := testEnv("")
		assert.NoError(t, run(context.Background(), e, cmd), cmd[0])
	}
	e, _, _ := testEnv("")
	assert.ErrorContains(t, run(context.Background(), e, []string{"ingest", "--config", cfgPath, "--once"}), "GIB_USERNAME")
}

// gib-taxii sim serves the simulated API on the address it prints.
func TestSimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e, out, _ := testEnv("")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, []string{"sim", "--listen", "127.0.0.1:0", "--items", "5", "--tick", "50ms"})
	}()
	var base string
	for range 200 {
		if m := simLine.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NotEmpty(t, base, out.String())
	req, err := http.NewRequest(http.MethodGet, base+"user/granted_collections", nil)
	require.NoError(t, err)
	req.SetBasicAuth("user@example.com", "api-key")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	cancel()
	require.NoError(t, <-done)

	assert.Error(t, run(context.Background(), e, []string{"sim", "--drift", "2"}))
}

var simLine = regexp.MustCompile(`on (http://\S+/api/v2/)`)
