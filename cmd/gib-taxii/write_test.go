package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writableConfig is writeConfig with the collection writable and analyst
// allowed to write, taking indicators and sightings only.
func writableConfig(t testing.TB) (string, Config) {
	t.Helper()
	path, _ := writeConfig(t)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	edited := strings.NewReplacer(
		"title: Indicators}", "title: Indicators, writable: true, types: [indicator, sighting]}",
		"permissions: {indicators: read}", "permissions: {indicators: read-write}",
	).Replace(string(raw))
	require.NotEqual(t, string(raw), edited)
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o600))
	cfg, err := loadConfig(path, noEnv)
	require.NoError(t, err)
	return path, cfg
}

func postEnvelope(t *testing.T, url string, objects ...string) (int, map[string]any) {
	t.Helper()
	status, body, err := postTAXII(url, `{"objects":[`+strings.Join(objects, ",")+`]}`)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(body, &v), string(body))
	return status, v
}

// postTAXII posts a TAXII body as analyst and reads the answer; an error
// when none came.
func postTAXII(url, body string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth("analyst", "s3cret")
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(res.Body)
	return res.StatusCode, reply, err
}

// Objects pushed over TAXII are checked by the same code as imported and
// mapped ones (mapping.ValidateObject: here a pattern the STIX pattern
// grammar refuses and an object path the STIX object model does not
// have), the collection's types are honoured, and what is accepted is
// served and exported like any stored object.
func TestServeTakesWrites(t *testing.T) {
	cfgPath, cfg := writableConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() })
	}()
	base := "http://" + <-addr + "/gib/"

	status, _, coll := get(t, base+"collections/indicators/", "analyst", "s3cret")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, coll["can_write"])

	badPattern := strings.Replace(indicator(2), "[ipv4-addr:value = '198.51.100.2']", "[ipv4-addr:value = ", 1)
	badPath := strings.Replace(indicator(3), "ipv4-addr:value", "ipv4-addr:valu", 1)
	malware := `{"type":"malware","spec_version":"2.1","id":"malware--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x","is_family":true}`
	status, st := postEnvelope(t, base+"collections/indicators/objects/", indicator(1), badPattern, badPath, malware, indicator(1))
	require.Equal(t, http.StatusAccepted, status, "%v", st)
	assert.Equal(t, "complete", st["status"])
	assert.Equal(t, []any{5.0, 2.0, 3.0, 0.0}, []any{st["total_count"], st["success_count"], st["failure_count"], st["pending_count"]})
	messages := map[string]string{}
	for _, f := range st["failures"].([]any) {
		d := f.(map[string]any)
		messages[d["id"].(string)] = d["message"].(string)
	}
	assert.Contains(t, messages["indicator--00000002-1111-4222-8333-444444444444"], "pattern")
	assert.Contains(t, messages["indicator--00000003-1111-4222-8333-444444444444"], "valu")
	assert.Contains(t, messages["malware--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"], "types")

	status, _, again := get(t, base+"status/"+st["id"].(string)+"/", "analyst", "s3cret")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, st, again)

	status, _, env := get(t, base+"collections/indicators/objects/", "analyst", "s3cret")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, env["objects"], 1)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"export", "--config", cfgPath, "--collection", "indicators"}))
	assert.Equal(t, 1, bytes.Count([]byte(out.String()), []byte(`"type":"indicator"`)), "export serves the pushed object")
}

func TestWritableConfigRefused(t *testing.T) {
	for _, c := range []struct{ from, edit, want string }{
		{"title: Indicators}", "title: Indicators, writable: true, sources: [ioc/common]}", "writable: this collection is fed by Group-IB"},
		{"title: Indicators}", "title: Indicators, allow_writes_to_feed: true}", "allow_writes_to_feed: means nothing without writable: true"},
		// The status of a POST keeps its owner's name in a 255-byte field.
		{"name: analyst", "name: " + strings.Repeat("n", 129), "at most 128 bytes"},
	} {
		path, _ := writeConfig(t)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), c.from, c.edit, 1)), 0o600))
		_, err = loadConfig(path, noEnv)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}
}
