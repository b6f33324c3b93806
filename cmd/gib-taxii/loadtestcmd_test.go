package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/loadtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveForLoadtest serves n imported indicators (pages of at most 5) until
// the test ends, and returns the server's base URL. Discovery advertises
// external_url, which defaults to the listen address: a port chosen
// beforehand makes the advertised API root reachable (127.0.0.1:0 is not).
func serveForLoadtest(t *testing.T, n int) string {
	t.Helper()
	cfgPath, cfg := writeConfig(t)
	importIndicators(t, cfgPath, n)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	cfg.TAXII.Listen, cfg.TAXII.ExternalURL = addr, "http://"+addr

	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(*app) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return "http://" + addr
}

// Two clients walk our server's 25 objects four at a time (7 pages a
// walk): every complete walk has all 25 once, and consecutive walks agree.
func TestLoadtestWalksOurServer(t *testing.T) {
	base := serveForLoadtest(t, 25)
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"loadtest", "--url", base + "/taxii2/",
		"--user", "analyst", "--password", "s3cret", "--mode", "walk", "--clients", "2", "--limit", "4",
		"--requests", "42", "--duration", "2m", "--json"}))
	var rep struct {
		Stopped    string
		Requests   int64
		Pages      int64
		Collection struct{ ID string }
		Errors     struct{ Total int64 }
		Walks      loadtest.WalkStats
	}
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep), out.String())
	assert.Equal(t, "requests", rep.Stopped)
	assert.Equal(t, testCollection, rep.Collection.ID, "found through discovery")
	assert.Equal(t, int64(42), rep.Requests)
	assert.Equal(t, int64(42), rep.Pages)
	assert.Zero(t, rep.Errors.Total)
	w := rep.Walks
	// 42 pages between two clients: one of them walked at least 3 times.
	assert.GreaterOrEqual(t, w.Complete, int64(4))
	assert.Equal(t, int64(25), w.ObjectsMin, "every complete walk saw all objects")
	assert.Equal(t, int64(25), w.ObjectsMax)
	assert.Zero(t, w.Duplicates)
	assert.Zero(t, w.Gaps)
	assert.GreaterOrEqual(t, w.Compared, int64(2), "the gap check ran")
	assert.Equal(t, w.Compared, w.Identical)
}

// A wrong password (from the environment) makes every request a 401,
// counted as such; discovery with it fails, so the collection is given by
// URL.
func TestLoadtestWrongPassword(t *testing.T) {
	base := serveForLoadtest(t, 3)
	e, out, _ := testEnv("")
	e.getenv = func(k string) string { return map[string]string{"GIB_TAXII_PASSWORD": "wrong"}[k] }
	require.NoError(t, run(context.Background(), e, []string{"loadtest", "--user", "analyst",
		"--collection", base + "/gib/collections/" + testCollection + "/", "--clients", "2", "--requests", "6"}))
	for _, want := range []string{"requests    6 (", "6 errors", "pages       0 (", "errors      HTTP 401: 6\n",
		"e.g. 401 Unauthorized"} {
		assert.Contains(t, out.String(), want)
	}

	e, _, _ = testEnv("")
	err := run(context.Background(), e, []string{"loadtest", "--url", base + "/taxii2/", "--user", "analyst", "--password", "wrong"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "discovery: GET "+base+"/taxii2/: 401 Unauthorized")
}

func TestLoadtestRefusesBadFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no url":      {nil, "--url is required"},
		"no clients":  {[]string{"--url", "http://127.0.0.1:1/taxii2/", "--clients", "0"}, "--clients"},
		"bad mode":    {[]string{"--url", "http://127.0.0.1:1/taxii2/", "--mode", "all"}, `--mode "all"`},
		"zero limit":  {[]string{"--url", "http://127.0.0.1:1/taxii2/", "--limit", "0"}, "--limit"},
		"next in it":  {[]string{"--url", "http://127.0.0.1:1/taxii2/", "--filters", "next=x"}, "limit and next are set"},
		"missing ca":  {[]string{"--url", "https://127.0.0.1:1/taxii2/", "--ca-file", "/nonexistent.pem"}, "nonexistent.pem"},
		"stray arg":   {[]string{"--url", "http://127.0.0.1:1/taxii2/", "walk"}, `unexpected argument "walk"`},
		"no duration": {[]string{"--url", "http://127.0.0.1:1/taxii2/", "--duration", "0s"}, "--duration"},
	} {
		e, _, _ := testEnv("")
		err := run(context.Background(), e, append([]string{"loadtest"}, tc.args...))
		require.Error(t, err, name)
		assert.True(t, strings.Contains(err.Error(), tc.want), "%s: %v", name, err)
	}
}
