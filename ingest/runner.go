package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/mapping"
)

// Mapper turns one Group-IB item into STIX objects: each its exact
// compact JSON and the index fields it states (mapping.Engine does), so
// that ingest stores them without parsing them again. It must be
// deterministic (the same item gives the same bytes) and safe for
// concurrent use: the items of a page are mapped on all cores.
type Mapper interface {
	MapObjects(collection string, item json.RawMessage) ([]mapping.Object, error)
}

// Route sends a Group-IB collection's objects to a TAXII collection.
type Route struct {
	// Collection is the TAXII collection id.
	Collection string
	// Types limits the STIX types routed; empty means all.
	Types map[string]bool
}

// CollectionConfig is how one Group-IB collection is polled.
type CollectionConfig struct {
	Name string
	// Search is set for search-only collections (compromised/breached,
	// compromised/reaper).
	Search bool
	// Lookback sets the first position of a collection never polled:
	// now minus Lookback (never "all history"). Default 3 days.
	Lookback time.Duration
	// PollInterval is the wait after an empty page. Default 5 minutes.
	PollInterval time.Duration
	// Limit is the page size asked for. Default 100.
	Limit int
	// MaxWindow bounds the date window of one search session (default 24h),
	// so that a failing window is retried small, not ever larger.
	MaxWindow time.Duration
	// SearchMax is the most entries one search serves (10,000 for
	// compromised/reaper): fuller windows are narrowed. 0 means no limit.
	SearchMax int
	// Params are the collection's optional API parameters.
	Params url.Values
	Routes []Route
}

// Runner runs one poll loop per Group-IB collection.
type Runner struct {
	client      *Client
	store       Store
	mapper      Mapper
	collections []CollectionConfig
	log         *slog.Logger
	now         func() time.Time
	// accessPause is the wait after an access error (401/403/301/302).
	accessPause time.Duration
	// errorPause caps the backoff between failed passes.
	errorPause time.Duration
	metrics    Metrics

	// health is each collection's State as its loop last saw it, kept in
	// memory: when the store cannot be written, failures cannot be
	// recorded there, and health checks must still see them.
	mu     sync.Mutex
	health map[string]State
}

// Metrics observes ingest; implementations are safe for concurrent use.
type Metrics interface {
	// Page records a committed page.
	Page(collection string, items, objectsAdded, skipped int, queued int64)
	// Failure records a failed pass, by class: access, rate_limit, server,
	// network, bad_page or other.
	Failure(collection, class string)
}

// ErrorClass names the class of an ingest error, for metrics.
func ErrorClass(err error) string {
	var se *StatusError
	var ne net.Error
	switch {
	case errors.Is(err, ErrAccessDenied):
		return "access"
	case errors.Is(err, ErrStore):
		return "store"
	case errors.As(err, &se) && se.Status == http.StatusTooManyRequests:
		return "rate_limit"
	case errors.As(err, &se) && se.Status >= 500:
		return "server"
	case errors.Is(err, ErrBadPage):
		return "bad_page"
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "network"
	}
	return "other"
}

type noMetrics struct{}

func (noMetrics) Page(string, int, int, int, int64) {}
func (noMetrics) Failure(string, string)            {}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Metrics     Metrics
	Client      *Client
	Store       Store
	Mapper      Mapper
	Collections []CollectionConfig
	Logger      *slog.Logger
	Now         func() time.Time
	// AccessPause defaults to one hour; ErrorPause to five minutes.
	AccessPause time.Duration
	ErrorPause  time.Duration
}

// NewRunner builds a runner; it starts nothing.
func NewRunner(cfg RunnerConfig) *Runner {
	r := &Runner{client: cfg.Client, store: cfg.Store, mapper: cfg.Mapper, log: cfg.Logger, now: cfg.Now,
		accessPause: cfg.AccessPause, errorPause: cfg.ErrorPause, metrics: cfg.Metrics, health: map[string]State{}}
	if r.metrics == nil {
		r.metrics = noMetrics{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.accessPause <= 0 {
		r.accessPause = time.Hour
	}
	if r.errorPause <= 0 {
		r.errorPause = 5 * time.Minute
	}
	for _, c := range cfg.Collections {
		r.collections = append(r.collections, c.withDefaults())
	}
	return r
}

func (c CollectionConfig) withDefaults() CollectionConfig {
	if c.Lookback <= 0 {
		c.Lookback = 72 * time.Hour
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Minute
	}
	if c.Limit <= 0 {
		c.Limit = 100
	}
	if c.MaxWindow <= 0 {
		c.MaxWindow = 24 * time.Hour
	}
	if c.SearchMax == 0 && c.Name == "compromised/reaper" {
		c.SearchMax = reaperMax
	}
	return c
}

// Run polls every collection until ctx ends, then returns nil. Failures
// never end it: they are recorded in each collection's state, logged, and
// retried after a pause.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { r.checkGrants(ctx) })
	for _, c := range r.collections {
		wg.Go(func() { r.newLoop(c).run(ctx) })
	}
	wg.Wait()
	return nil
}

// RunOnce makes one pass: each collection is read until the API has
// nothing more, then RunOnce returns the collections' errors, joined.
//
// A pass stops at the head it found: an /updated collection reads the
// items queued when its first page came (not those published meanwhile),
// a search collection the windows up to the pass's start.
func (r *Runner) RunOnce(ctx context.Context) error {
	began := time.Now()
	r.log.Info("ingest pass started", "collections", len(r.collections))
	var wg sync.WaitGroup
	errs := make([]error, len(r.collections))
	for i, c := range r.collections {
		wg.Go(func() {
			l := r.newLoop(c)
			l.once = &passBound{start: r.now().UTC().Truncate(time.Second), queued: -1}
			errs[i] = l.catchUp(ctx)
			l.dropAhead()
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	failed := 0
	for _, e := range errs {
		if e != nil {
			failed++
		}
	}
	r.log.Info("ingest pass finished", "collections", len(r.collections), "failed", failed, "duration", time.Since(began))
	return err
}

// passBound is where a one-off pass stops.
type passBound struct {
	start  time.Time // search windows end here
	queued int64     // /updated items left to read; -1 before the first page
}

// reached reports whether a page of n items, with queued left after it,
// is the pass's last: what onceWants will decide, without deciding it.
func (b *passBound) reached(n int, queued int64) bool {
	if b.queued < 0 {
		return queued <= 0
	}
	return b.queued-int64(n) <= 0
}

// Health returns each running collection's state as its loop holds it in
// memory, failures that could not be written to the store included. A
// collection whose loop has not yet read its state is absent.
func (r *Runner) Health() map[string]State {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]State, len(r.health))
	for name, st := range r.health {
		out[name] = st
	}
	return out
}

func (r *Runner) setHealth(collection string, st State) {
	r.mu.Lock()
	r.health[collection] = st
	r.mu.Unlock()
}

// checkGrants warns about enabled collections the account is not granted,
// which would otherwise only show as 403s.
func (r *Runner) checkGrants(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	granted, err := r.client.GrantedCollections(ctx)
	if err != nil {
		r.log.Warn("could not list the collections granted to this account", "error", err.Error())
		return
	}
	ok := map[string]bool{}
	for _, g := range granted {
		ok[g] = true
	}
	for _, c := range r.collections {
		if !ok[c.Name] {
			r.log.Warn("collection is not granted to this Group-IB account: expect 403", "gib_collection", c.Name)
		}
	}
}
