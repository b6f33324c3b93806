package ingest_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testClient(t *testing.T, base string, edit ...func(*ingest.ClientConfig)) *ingest.Client {
	cfg := ingest.ClientConfig{BaseURL: base, Username: "user@example.com", APIKey: "api-key", RateLimit: 1000, Burst: 10,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, UserAgent: "gib-taxii/test"}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := ingest.NewClient(cfg)
	require.NoError(t, err)
	return c
}

func newSim(t *testing.T, cfg gibsim.Config) (*gibsim.Simulator, string) {
	sim := gibsim.New(cfg)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv.URL + "/api/v2/"
}

// A 5xx on a page halves the limit of the retry: big pages are what fail.
func TestUpdatedHalvesLimitAfterServerError(t *testing.T) {
	sim, base := newSim(t, gibsim.Config{Items: 20, Collections: []string{"ioc/common"}})
	sim.Inject(gibsim.Fault{Kind: gibsim.FaultServerError, Times: 2})
	page, err := testClient(t, base).Updated(context.Background(), "ioc/common", 0, 400, url.Values{"q": {""}, "unique": {"1"}})
	require.NoError(t, err)
	assert.Equal(t, 100, page.Limit)
	assert.Len(t, page.Items, 20)
	q := sim.Queries()
	require.Len(t, q, 3)
	for i, limit := range []string{"limit=400", "limit=200", "limit=100"} {
		assert.Contains(t, q[i], limit)
		assert.NotContains(t, q[i], "q=", "empty parameters are dropped")
		assert.Contains(t, q[i], "unique=1")
	}
}

// Retry-After is honoured.
func TestRetryAfterIsHonoured(t *testing.T) {
	sim, base := newSim(t, gibsim.Config{Items: 5, Collections: []string{"ioc/common"}})
	sim.Inject(gibsim.Fault{Kind: gibsim.FaultTooManyRequests, RetryAfter: time.Second})
	start := time.Now()
	_, err := testClient(t, base).Updated(context.Background(), "ioc/common", 0, 10, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), time.Second)
}

// 400 carries the server's message and is not retried; nothing leaks the key.
func TestBadRequestReportsServerMessage(t *testing.T) {
	sim, base := newSim(t, gibsim.Config{Items: 5, Collections: []string{"compromised/breached"}})
	_, err := testClient(t, base).Updated(context.Background(), "compromised/breached", 0, 10, nil)
	require.Error(t, err)
	var se *ingest.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.Status)
	assert.Contains(t, err.Error(), "server says: compromised/breached cannot be used with /updated")
	assert.Contains(t, err.Error(), "compromised/breached/updated?limit=10&seqUpdate=0")
	assert.NotContains(t, err.Error(), "api-key")
	assert.Equal(t, int64(1), sim.Requests())
}

// The client identifies itself, sends Accept: */* and Basic auth.
func TestRequestHeaders(t *testing.T) {
	var got http.Header
	var query url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, query = r.Header.Clone(), r.URL.Query()
		_, _ = w.Write([]byte(`{"list":{"ioc/common":"1234"}}`)) // a cursor sent as a string
	}))
	defer srv.Close()
	seq, err := testClient(t, srv.URL+"/api/v2").SequenceList(context.Background(), "ioc/common", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), url.Values{"apply_hunting_rules": {"1"}, "unique": {"1"}})
	require.NoError(t, err)
	assert.Equal(t, int64(1234), seq)
	assert.Equal(t, url.Values{"date": {"2026-01-02"}, "collection": {"ioc/common"}, "apply_hunting_rules": {"1"}}, query,
		"hunting rules change the feed, so its start cursor")
	assert.Equal(t, "*/*", got.Get("Accept"))
	assert.Equal(t, "gib-taxii/test", got.Get("User-Agent"))
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("user@example.com:api-key")), got.Get("Authorization"))
}

// A proxy from the config is used, with its credentials.
func TestProxyWithCredentials(t *testing.T) {
	_, base := newSim(t, gibsim.Config{Items: 3, Collections: []string{"ioc/common"}})
	target, _ := url.Parse(base)
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("px:pw")) {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		proxied.Add(1)
		r.RequestURI, r.URL.Scheme, r.URL.Host = "", "http", target.Host
		r.Header.Del("Proxy-Authorization")
		res, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	}))
	defer proxy.Close()
	proxyURL := strings.Replace(proxy.URL, "http://", "http://px:pw@", 1)
	page, err := testClient(t, base, func(c *ingest.ClientConfig) { c.Proxy = proxyURL }).Updated(context.Background(), "ioc/common", 0, 10, nil)
	require.NoError(t, err)
	assert.Len(t, page.Items, 3)
	assert.Equal(t, int64(1), proxied.Load())

	_, err = ingest.NewClient(ingest.ClientConfig{Username: "u", APIKey: "k", Proxy: "http://px:secret@[::1"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret", "a proxy password never appears in errors")
}

func TestNewClientRefusesBadConfig(t *testing.T) {
	for _, cfg := range []ingest.ClientConfig{
		{APIKey: "k"},
		{Username: "u"},
		{Username: "u", APIKey: "k", BaseURL: "ftp://x"},
	} {
		_, err := ingest.NewClient(cfg)
		assert.Error(t, err)
	}
}

// A 429 with Retry-After holds back every request of the credential, not
// only the one that was told: the limit is per account.
func TestRetryAfterPausesEveryLoop(t *testing.T) {
	sim, base := newSim(t, gibsim.Config{Items: 5, Collections: []string{"ioc/common", "malware/cnc"}})
	sim.Inject(gibsim.Fault{Kind: gibsim.FaultTooManyRequests, Collection: "ioc/common", RetryAfter: time.Second})
	c := testClient(t, base)
	_, err := c.Updated(context.Background(), "ioc/common", 0, 10, nil)
	require.NoError(t, err)
	q := sim.Queries()
	require.Len(t, q, 2, "the 429, then the retry")

	sim.Inject(gibsim.Fault{Kind: gibsim.FaultTooManyRequests, Collection: "ioc/common", RetryAfter: time.Second})
	done := make(chan time.Duration, 1)
	go func() {
		_, _ = c.Updated(context.Background(), "ioc/common", 0, 10, nil)
	}()
	for i := 0; len(sim.Queries()) < 3 && i < 1000; i++ { // wait until the 429 has been answered
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	go func() {
		start := time.Now()
		_, _ = c.Updated(context.Background(), "malware/cnc", 0, 10, nil)
		done <- time.Since(start)
	}()
	assert.Greater(t, <-done, 500*time.Millisecond, "the other collection waited for the Retry-After too")
}
