package taxii_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
)

// A request's client-controlled values (path, query, User-Agent) reach the
// log clipped: 150 unauthenticated 1 MB requests once made 73 MB of log.
// Error bodies that quote the query are bounded too.
func TestClientValuesAreClippedInLogsAndErrors(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	f := newFixture(t, func(c *taxii.Config) { c.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
	huge := strings.Repeat("A", 1<<20)
	cases := map[string]struct {
		path   string
		opts   []option
		status int
	}{
		"unauthenticated, huge query and agent": {"/api1/collections/?x=" + huge, []option{as("alice", "wrong"), header("User-Agent", huge)}, http.StatusUnauthorized},
		"huge filter value":                     {"/api1/collections/indicators/objects/?match[type]=" + huge, nil, http.StatusBadRequest},
		"huge path":                             {"/api1/collections/" + huge + "/", nil, http.StatusNotFound},
	}
	for name, tc := range cases {
		logs.Reset()
		rec := f.get(tc.path, tc.opts...)
		assert.Equal(t, tc.status, rec.Code, name)
		assert.Less(t, rec.Body.Len(), 2048, "%s: error body bounded", name)
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			assert.Less(t, len(line), 4096, "%s: log line bounded", name)
		}
		assert.Contains(t, logs.String(), "bytes)", "%s: the log says the value was clipped", name)
	}
}

// A client that leaves before its answer is ready (Go's server then
// cancels the request) is not a server fault: no 500, no error logged.
func TestClientGoneIsNotAnInternalError(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	f := newFixture(t, func(c *taxii.Config) { c.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/api1/collections/public/objects/", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	assert.Equal(t, 499, rec.Code)
	assert.NotContains(t, logs.String(), `"level":"ERROR"`)
}

// A failed sign-in is logged with the name that was sent, so that an
// operator can tell a misconfigured client from an attack.
func TestFailedSignInLogsTheName(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	f := newFixture(t, func(c *taxii.Config) { c.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
	rec := f.get("/api1/collections/", as("alice", "wrong"))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, logs.String(), `"user":"alice (failed sign-in)"`)
	logs.Reset()
	f.get("/api1/collections/", as("my secret password", "x"))
	assert.Contains(t, logs.String(), `"user":"an unknown user (failed sign-in)"`, "what is not a user name may be a password")
	assert.NotContains(t, logs.String(), "my secret password")
}
