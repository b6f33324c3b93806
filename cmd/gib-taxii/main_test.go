package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func testEnv(stdin string) (env, *testkit.SyncBuffer, *testkit.SyncBuffer) {
	out, errb := &testkit.SyncBuffer{}, &testkit.SyncBuffer{}
	return env{stdin: strings.NewReader(stdin), stdout: out, stderr: errb, getenv: func(string) string { return "" }}, out, errb
}

const testCollection = "3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c"

// analystHash is the bcrypt hash of the test user analyst's password,
// "s3cret", at the cheapest cost.
func analystHash(t testing.TB) []byte {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	return hash
}

// writeConfig writes a config with one collection and user "analyst".
func writeConfig(t testing.TB) (path string, cfg Config) {
	t.Helper()
	dir := t.TempDir()
	hash := analystHash(t)
	yaml := fmt.Sprintf(`
storage: {path: %q}
taxii:
  listen: 127.0.0.1:0
  page_size: {default: 2, max: 5}
  api_roots:
    - path: gib
      title: Group-IB
      collections:
        - {id: %s, alias: indicators, title: Indicators}
users:
  - name: analyst
    password_hash: %q
    permissions: {indicators: read}
log: {level: warn}
ops: {listen: 127.0.0.1:0}
`, filepath.Join(dir, "store.db"), testCollection, hash)
	path = filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	cfg, err := loadConfig(path, noEnv)
	require.NoError(t, err)
	return path, cfg
}

func writeBundle(t *testing.T, objects ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.json")
	body := `{"type":"bundle","id":"bundle--0c7e3a1f-5b2d-4e8a-9f6c-1d3b5a7e9c2f","objects":[` + strings.Join(objects, ",") + `]}`
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

// importIndicators imports indicators 0..n-1 into the config's
// indicators collection.
func importIndicators(t *testing.T, cfgPath string, n int) {
	t.Helper()
	var objs []string
	for i := range n {
		objs = append(objs, indicator(i))
	}
	e, _, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", writeBundle(t, objs...)}))
}

func indicator(n int) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-1111-4222-8333-444444444444",
		"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
		"pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, n, n)
}

func TestImportStoresValidAndReportsInvalid(t *testing.T) {
	cfgPath, _ := writeConfig(t)
	bundle := writeBundle(t,
		indicator(1),
		`{"type":"indicator","spec_version":"2.1","id":"indicator--bad"}`,
		indicator(2),
		`{"type":"indicator","id":"indicator--00000003-1111-4222-8333-444444444444","created":"2026-01-01T00:00:00.000Z"}`,
		`"not an object"`,
		indicator(1),
	)
	e, out, errb := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", bundle}))
	assert.Contains(t, out.String(), "2 added, 1 already present, 3 skipped as invalid")
	for _, want := range []string{"objects[1] indicator--bad: skipped", `objects[3] indicator--00000003-1111-4222-8333-444444444444: skipped: spec_version must be "2.1"`,
		"objects[4] (no id): skipped"} {
		assert.Contains(t, errb.String(), want)
	}

	// A TAXII envelope works too, and re-importing changes nothing.
	envelope := filepath.Join(t.TempDir(), "envelope.json")
	require.NoError(t, os.WriteFile(envelope, []byte(`{"more":false,"objects":[`+indicator(2)+`]}`), 0o600))
	e, out, _ = testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", testCollection, envelope}))
	assert.Contains(t, out.String(), "0 added, 1 already present")
}

func TestImportRefusesBadInput(t *testing.T) {
	cfgPath, _ := writeConfig(t)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown collection": {[]string{"--collection", "reports", writeBundle(t)}, `no collection has id or alias "reports"`},
		"missing file":       {[]string{"--collection", "indicators", "/nonexistent.json"}, "no such file"},
		"not a bundle":       {[]string{"--collection", "indicators", writeFile(t, `{"type":"indicator"}`)}, `top-level type is "indicator"`},
		"not json":           {[]string{"--collection", "indicators", writeFile(t, `hello`)}, "not a STIX bundle"},
		"no file":            {[]string{"--collection", "indicators"}, "one file are required"},
	} {
		e, _, _ := testEnv("")
		err := run(context.Background(), e, append([]string{"import", "--config", cfgPath}, tc.args...))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func writeFile(t *testing.T, body string) string {
	path := filepath.Join(t.TempDir(), "f.json")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestHashPassword(t *testing.T) {
	e, out, _ := testEnv("correct horse battery\n")
	require.NoError(t, run(context.Background(), e, []string{"hash-password"}))
	hash := strings.TrimSpace(out.String())
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")))
	cost, err := bcrypt.Cost([]byte(hash))
	require.NoError(t, err)
	assert.Equal(t, bcrypt.DefaultCost, cost)

	for stdin, args := range map[string][]string{
		"":                         {"hash-password"},
		"x\n":                      {"hash-password"},
		"correct horse battery\n":  {"hash-password", "--cost", "3"},
		"correct horse battery.\n": {"hash-password", "--cost", "4"},
	} {
		e, _, _ = testEnv(stdin)
		assert.Error(t, run(context.Background(), e, args), "%q %v: refused, not silently changed", stdin, args)
	}
}

// export --type with a typo was an empty bundle and success.
func TestExportRefusesUnknownType(t *testing.T) {
	cfgPath, _ := writeConfig(t)
	e, _, _ := testEnv("")
	err := run(context.Background(), e, []string{"export", "--config", cfgPath, "--collection", "indicators", "--type", "indicatr"})
	assert.ErrorContains(t, err, `did you mean "indicator"?`)
}

// get fetches a TAXII URL with Basic auth and decodes the JSON body.
func get(t *testing.T, url, user, password string) (int, http.Header, map[string]any) {
	t.Helper()
	status, header, body := getRaw(t, url, user, password)
	var v map[string]any
	require.NoError(t, json.Unmarshal(body, &v), string(body))
	return status, header, v
}

// getRaw fetches a TAXII URL with Basic auth as a TAXII client does.
func getRaw(t *testing.T, url, user, password string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.SetBasicAuth(user, password)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, body
}

// TestServeEndToEnd imports a bundle, serves it on a random loopback port
// over real HTTP, pages through it, and shuts down cleanly.
func TestServeEndToEnd(t *testing.T) {
	cfgPath, cfg := writeConfig(t)
	importIndicators(t, cfgPath, 7)
	e, _, _ := testEnv("")

	ctx, cancel := context.WithCancel(context.Background())
	addr, opsAddr := make(chan string, 1), make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr(); opsAddr <- a.OpsAddr() })
	}()
	base := "http://" + <-addr

	status, _, disc := get(t, base+"/taxii2/", "analyst", "s3cret")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []any{"http://127.0.0.1:0/gib/"}, disc["api_roots"], "external_url defaults to the listen address")

	seen, next := 0, ""
	for pages := 0; pages < 10; pages++ {
		url := base + "/gib/collections/indicators/objects/"
		if next != "" {
			url += "?next=" + next
		}
		status, h, env := get(t, url, "analyst", "s3cret")
		require.Equal(t, http.StatusOK, status)
		assert.NotEmpty(t, h.Get("X-TAXII-Date-Added-Last"))
		seen += len(env["objects"].([]any))
		if env["more"] != true {
			break
		}
		next = env["next"].(string)
	}
	assert.Equal(t, 7, seen)

	status, h, _ := get(t, base+"/gib/collections/indicators/objects/", "analyst", "wrong")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, `Basic realm="gib-taxii"`, h.Get("WWW-Authenticate"))

	// While serving, a second process cannot open the store...
	err := run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", writeBundle(t)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "database is locked by another gib-taxii")
	// ...and status asks the running server instead.
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	statusCfg := filepath.Join(t.TempDir(), "status.yaml")
	ops := <-opsAddr
	require.NoError(t, os.WriteFile(statusCfg, []byte(strings.Replace(string(raw), "ops: {listen: 127.0.0.1:0}",
		"ops: {listen: "+ops+"}", 1)), 0o600))
	se, sout, _ := testEnv("")
	require.NoError(t, run(context.Background(), se, []string{"status", "--config", statusCfg}))
	assert.Contains(t, sout.String(), "serve is running (http://"+ops+"/readyz): ok, store ok")
	assert.Contains(t, sout.String(), testCollection+"  http://127.0.0.1:0/gib/collections/"+testCollection+"/",
		"collection ids and URLs, also while serve runs")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The store was closed: it opens again at once.
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", writeBundle(t)}))
}

var passwordLine = regexp.MustCompile(`password\s+(\S+)`)
var discoveryLine = regexp.MustCompile(`discovery\s+(\S+)`)

// TestDemo runs the README's first command on a random port and reads
// what the built-in simulator fed it, with the credentials it prints.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e, out, _ := testEnv("")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, []string{"demo", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--items", "5"})
	}()
	var m []string
	for range 500 {
		if m = discoveryLine.FindStringSubmatch(out.String()); m != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NotNil(t, m, "demo printed its discovery URL: %s", out)
	password := passwordLine.FindStringSubmatch(out.String())[1]
	base := strings.TrimSuffix(m[1], "/taxii2/")
	assert.Contains(t, out.String(), "curl -u '"+demoUser+":"+password+"'")

	var indicators int
	for range 500 { // the first sync of 35 simulated collections
		_, _, env := get(t, base+"/gib/collections/indicators/objects/?match[type]=indicator&limit=1000", demoUser, password)
		if objs, ok := env["objects"].([]any); ok && len(objs) > 0 {
			indicators = len(objs)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.Positive(t, indicators)
	cancel()
	require.NoError(t, <-done)
}

func TestUnknownCommand(t *testing.T) {
	e, _, errb := testEnv("")
	assert.Error(t, run(context.Background(), e, []string{"frobnicate"}))
	assert.Contains(t, errb.String(), "Usage: gib-taxii")
	assert.Error(t, run(context.Background(), e, []string{"serve"}), "serve needs --config")
}

// demo --data creates the directory it is given, and refuses a store it
// did not make: pointed at a serve store, it would rewrite its ingest state.
func TestDemoDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	require.NoError(t, claimDemoStore(context.Background(), dir))
	require.NoError(t, claimDemoStore(context.Background(), dir), "the demo's own store again")

	cfgPath, cfg := writeConfig(t)
	e, _, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", writeBundle(t, indicator(1))}))
	before, err := os.ReadFile(cfg.Storage.Path)
	require.NoError(t, err)
	serveDir := t.TempDir()
	served := filepath.Join(serveDir, "gib-taxii.db")
	require.NoError(t, os.WriteFile(served, before, 0o600))
	err = claimDemoStore(context.Background(), serveDir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not make")
	after, err := os.ReadFile(served)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the serve store is left as it was")
}

// import validates every object with the mapping's own checks and honours
// the collection's types: a broken pattern, a malware without its dates and
// spec_version, an unknown type and a type the collection does not take
// were once stored ("4 added, 0 skipped as invalid").
func TestImportValidatesLikeTheMappingAndHonoursTypes(t *testing.T) {
	cfgPath, _ := writeConfig(t)
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "title: Indicators}", "title: Indicators, types: [indicator]}", 1)), 0o600))
	bundle := writeBundle(t,
		indicator(1),
		`{"type":"indicator","spec_version":"2.1","id":"indicator--00000002-1111-4222-8333-444444444444","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		`{"type":"malware","id":"malware--00000003-1111-4222-8333-444444444444","name":"x","is_family":true}`,
		`{"type":"foo","spec_version":"2.1","id":"foo--00000004-1111-4222-8333-444444444444","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z"}`,
		`{"type":"malware","spec_version":"2.1","id":"malware--00000005-1111-4222-8333-444444444444","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x","is_family":true}`,
	)
	e, out, errb := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", bundle}))
	assert.Contains(t, out.String(), "1 added, 0 already present, 4 skipped as invalid")
	for _, want := range []string{
		"objects[1] indicator--00000002-1111-4222-8333-444444444444: skipped: pattern",
		"objects[2] malware--00000003-1111-4222-8333-444444444444: skipped: spec_version",
		`objects[3] foo--00000004-1111-4222-8333-444444444444: skipped: type "foo" is not a STIX 2.1 type`,
		"objects[4] malware--00000005-1111-4222-8333-444444444444: skipped: type malware is not one this collection takes (types: indicator)",
	} {
		assert.Contains(t, errb.String(), want)
	}
}
