// Package loadtest drives load at a TAXII 2.1 server, any of them (this
// project's, medallion, OpenTAXII), as TAXII clients do: it finds a
// collection through discovery, then has a number of clients fetch its
// objects, either the first page over and over, or page by page through
// the whole collection as the OASIS taxii2client's as_pages does. Walks
// through the collection are checked for duplicates and gaps.
//
// The tool must not be the bottleneck, so envelopes are never decoded:
// a byte scanner counts objects and finds "more", "next" and each object's
// id and version as the body streams by (see scanner).
package loadtest

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how a client goes through the collection.
type Mode string

const (
	// First requests the first page over and over.
	First Mode = "first"
	// Walk pages through the whole collection by "next", then starts again.
	Walk Mode = "walk"
)

// Config is a load test. URL is required unless Collection is the URL of
// a collection; the zero values of the others are the defaults.
type Config struct {
	// URL is the discovery URL, e.g. https://taxii.example.com/taxii2/.
	URL            string
	User, Password string // HTTP Basic; none when User is empty
	// Collection is a collection id, alias or title, searched in the
	// default API root and then the others; or the absolute URL of a
	// collection, which skips discovery. Empty: the first readable
	// collection of the default API root, else of the first API root.
	Collection string
	Clients    int           // concurrent clients, each one request at a time; default 1
	Duration   time.Duration // how long the run lasts; default 10s
	Requests   int64         // the most requests, all clients together; 0: no limit
	Limit      int           // the limit sent with each request; default 1000
	// Filters is a query string sent with every request, e.g.
	// "match[type]=indicator&added_after=2026-01-01T00:00:00Z".
	Filters string
	Mode    Mode          // default First
	Timeout time.Duration // per request; default 30s
	// TLS configures HTTPS; nil verifies against the system's roots.
	TLS *tls.Config
	// TrackLimit is the most objects of one walk each client keeps for its
	// checks (24 bytes each); default 8 million divided among the clients.
	TrackLimit int
}

// withDefaults fills in defaults and checks c.
func (c Config) withDefaults() (Config, error) {
	c.Clients = cmp.Or(c.Clients, 1)
	c.Duration = cmp.Or(c.Duration, 10*time.Second)
	c.Limit = cmp.Or(c.Limit, 1000)
	c.Mode = cmp.Or(c.Mode, First)
	c.Timeout = cmp.Or(c.Timeout, 30*time.Second)
	c.TrackLimit = cmp.Or(c.TrackLimit, max(8_000_000/max(c.Clients, 1), 10_000))
	switch {
	case c.URL == "" && !isURL(c.Collection):
		return c, errors.New("a discovery URL, or a collection URL, is required")
	case c.Clients < 0 || c.Duration < 0 || c.Requests < 0 || c.Limit < 0 || c.Timeout < 0:
		return c, errors.New("clients, duration, requests, limit and timeout cannot be negative")
	case c.Mode != First && c.Mode != Walk:
		return c, fmt.Errorf("mode %q: want first or walk", c.Mode)
	}
	q, err := url.ParseQuery(c.Filters)
	if err != nil {
		return c, fmt.Errorf("filters: %w", err)
	}
	if q.Has("limit") || q.Has("next") {
		return c, errors.New("filters: limit and next are set by the load test")
	}
	return c, nil
}

func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

// Run finds the collection, then loads it until the duration ends, the
// requests are spent, or ctx is cancelled (which is a clean stop, not an
// error). It returns an error only when the collection cannot be found or
// the configuration is wrong; failed requests are counted in the Report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Report{}, fmt.Errorf("loadtest: %w", err)
	}
	hc := newHTTPClient(cfg)
	defer hc.CloseIdleConnections()
	target, err := discover(ctx, hc, cfg)
	if err != nil {
		return Report{}, fmt.Errorf("loadtest: %w", err)
	}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	cpu0, cpuOK := cpuTime()
	start := time.Now()
	clients, budget := startClients(runCtx, hc, cfg, target)
	wall := time.Since(start)
	cpu1, _ := cpuTime()

	r := Report{Target: target, Mode: cfg.Mode, Clients: cfg.Clients, Limit: cfg.Limit, Filters: cfg.Filters,
		Wall: wall, CPU: cpu1 - cpu0, CPUMeasured: cpuOK, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	switch {
	case ctx.Err() != nil:
		r.Stopped = "interrupted"
	case cfg.Requests > 0 && budget.Load() >= cfg.Requests:
		r.Stopped = "requests"
	default:
		r.Stopped = "duration"
	}
	r.fill(clients, cfg.Mode == Walk)
	return r, nil
}

// startClients runs the clients until ctx ends or the request budget is
// spent, and returns them with the number of requests they took.
func startClients(ctx context.Context, hc *http.Client, cfg Config, target Target) ([]*client, *atomic.Int64) {
	budget := &atomic.Int64{}
	seed := maphash.MakeSeed()
	clients := make([]*client, cfg.Clients)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = newClient(hc, cfg, target, budget)
		if cfg.Mode == Walk {
			clients[i].setWalk(newWalkCheck(seed, cfg.TrackLimit))
		}
		wg.Go(func() { clients[i].run(ctx) })
	}
	wg.Wait()
	return clients, budget
}

// newHTTPClient keeps one connection per client, as separate TAXII client
// processes would, and does not go through HTTP proxies from the
// environment: the load is meant for the server named.
func newHTTPClient(cfg Config) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     cfg.TLS,
		MaxIdleConnsPerHost: cfg.Clients,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: cfg.Timeout,
	}
	return &http.Client{Transport: tr}
}
