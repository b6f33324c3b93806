// Package lookup answers "what does Group-IB know about this value, now"
// as STIX: a global search of the Group-IB API, the matching items of each
// collection, mapped by the same mapping as ingest (so a looked-up object
// and a fed one are the same STIX object, id for id).
//
// It spends the customer's API quota with care: identical lookups within a
// TTL are answered from a cache (and concurrent ones share one upstream
// call), and every upstream request of a lookup first takes a token of the
// lookup budget, so lookups never take more of the credential's rate than
// the operator gave them; ingest keeps the rest.
package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// Hit is one collection's line of a global search.
type Hit struct {
	Collection string
	Label      string
	Count      int64
}

// Upstream is what lookup needs of the Group-IB API client.
type Upstream interface {
	// GlobalSearch lists the collections holding items that match q.
	GlobalSearch(ctx context.Context, q string) ([]Hit, error)
	// Query returns up to limit items of collection matching q, newest
	// first, and how many match in all.
	Query(ctx context.Context, collection, q string, limit int) (items []json.RawMessage, total int64, err error)
	// Item returns one item by id.
	Item(ctx context.Context, collection, id string) (json.RawMessage, error)
}

// Mapper maps one Group-IB item, as ingest does.
type Mapper interface {
	MapObjects(collection string, item json.RawMessage) ([]mapping.Object, error)
}

// BusyError says the Group-IB API cannot be asked now: the lookup budget
// is spent, or the API answered 429. RetryAfter is when to try again.
type BusyError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("group-ib lookup: %s; retry in %s", e.Reason, e.RetryAfter.Round(time.Second))
}

// ErrBadQuery is a query the service refuses before asking anyone.
var ErrBadQuery = errors.New("bad lookup query")

// Config configures a Service. Upstream and Mapper are required.
type Config struct {
	Upstream Upstream
	Mapper   Mapper
	// MaxItems is how many items are fetched per collection (default 10).
	MaxItems int
	// CacheTTL is how long a lookup's answer is reused (default 5m; a
	// negative value turns the cache off). CacheEntries bounds it
	// (default 1000).
	CacheTTL     time.Duration
	CacheEntries int
	// Budget is the upstream requests per second lookups may make
	// (default 0.5), Burst how many at once (default 10, at least 2: a
	// lookup fetches at most Burst-1 collections); MaxWait is how long a
	// lookup waits for its tokens before it gives up with a BusyError
	// (default 0: it does not wait).
	Budget  float64
	Burst   int
	MaxWait time.Duration
	// Timeout bounds one lookup upstream (default 60s): callers waiting on
	// the same lookup share it, so no single caller's deadline applies.
	Timeout time.Duration
	Now     func() time.Time
}

// Service runs lookups. It is safe for concurrent use.
type Service struct {
	cfg    Config
	budget *rate.Limiter
	flight singleflight.Group

	mu    sync.Mutex
	cache map[string]cached
	hits  map[string]cachedHits // global searches of lookups that ran out of budget
	order []string              // cache keys, oldest first
	stats Stats
}

type cached struct {
	res     Result
	expires time.Time
}

type cachedHits struct {
	hits    []Hit
	expires time.Time
}

// Stats count what the service did.
type Stats struct {
	Lookups, CacheHits, Upstream, Items int64
	// UpstreamTime is the time spent in upstream requests.
	UpstreamTime time.Duration
}

// New builds a service.
func New(cfg Config) (*Service, error) {
	if cfg.Upstream == nil || cfg.Mapper == nil {
		return nil, errors.New("lookup: an upstream and a mapper are required")
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = 10
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Minute
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = 1000
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 0.5
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 10
	}
	if cfg.Burst < 2 {
		return nil, errors.New("lookup: the budget's burst must be at least 2: a global search and one collection")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	return &Service{cfg: cfg, budget: rate.NewLimiter(rate.Limit(cfg.Budget), cfg.Burst), cache: map[string]cached{}, hits: map[string]cachedHits{}}, nil
}

// Stats returns the counts so far.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Result is what a lookup found.
type Result struct {
	Query string
	// Collections are the collections with matches, in the API's order.
	Collections []CollectionResult
	// Objects are the mapped objects of every fetched item, each id and
	// version once, in the order first met.
	Objects []storage.Object
	// Cached is set when the answer came from the cache.
	Cached bool
}

// CollectionResult is one collection's part of a lookup.
type CollectionResult struct {
	Collection string
	Label      string
	// Matches is how many items match in all; Fetched how many were
	// fetched and mapped; Objects how many STIX objects they gave.
	Matches, Fetched, Objects int
	// Skipped holds why items were not mapped (the first few).
	Skipped []string
}

// Lookup answers a query: the collections that hold matches, and the
// first MaxItems items of each, mapped.
func (s *Service) Lookup(ctx context.Context, q string) (Result, error) {
	q = strings.TrimSpace(q)
	if q == "" || len(q) > 1024 {
		return Result{}, fmt.Errorf("%w: the query is empty or longer than 1024 bytes", ErrBadQuery)
	}
	return s.cachedRun(ctx, "q\x00"+q, func(ctx context.Context) (Result, bool, error) { return s.search(ctx, q) })
}

// Item answers one item of one collection by id.
func (s *Service) Item(ctx context.Context, collection, id string) (Result, error) {
	if collection == "" || id == "" || strings.ContainsAny(collection+id, "?#") {
		return Result{}, fmt.Errorf("%w: a collection and an item id are required", ErrBadQuery)
	}
	return s.cachedRun(ctx, "i\x00"+collection+"\x00"+id, func(ctx context.Context) (Result, bool, error) {
		var item json.RawMessage
		if err := s.take(ctx, 1); err != nil {
			return Result{}, false, err
		}
		err := s.call(ctx, func(ctx context.Context) (err error) {
			item, err = s.cfg.Upstream.Item(ctx, collection, id)
			return err
		})
		if err != nil {
			return Result{}, false, err
		}
		acc := accumulator{seen: map[objectKey]bool{}}
		cr := CollectionResult{Collection: collection, Matches: 1}
		acc.mapItems(s.cfg.Mapper, &cr, []json.RawMessage{item})
		s.count(0, 1)
		return Result{Query: collection + "/" + id, Collections: []CollectionResult{cr}, Objects: acc.objects}, true, nil
	})
}

// search runs a lookup upstream: the global search, then each collection
// holding matches, up to the most one lookup may ask (one less than the
// budget's burst, so that a lookup can always be paid for). The tokens for
// the collections are taken at once: a lookup is answered whole, or told
// when to come back without having spent them; the global search it
// already paid for is kept for that retry. A collection that fails is
// noted in the answer, and the others are still given; such a partial
// answer is not cached.
func (s *Service) search(ctx context.Context, q string) (Result, bool, error) {
	hits, err := s.globalSearch(ctx, q)
	if err != nil {
		return Result{}, false, err
	}
	res := Result{Query: q}
	var fetch []int
	for _, h := range hits {
		if h.Count <= 0 {
			continue
		}
		res.Collections = append(res.Collections, CollectionResult{Collection: h.Collection, Label: h.Label, Matches: int(h.Count)})
		cr := &res.Collections[len(res.Collections)-1]
		if len(fetch) == s.maxCollections() {
			cr.Skipped = []string{fmt.Sprintf("not fetched: a lookup fetches at most %d collections (the lookup budget's burst less one)", s.maxCollections())}
			continue
		}
		fetch = append(fetch, len(res.Collections)-1)
	}
	if err := s.take(ctx, len(fetch)); err != nil {
		return Result{}, false, err
	}
	acc := accumulator{seen: map[objectKey]bool{}}
	complete := true
	for _, ci := range fetch {
		cr := &res.Collections[ci]
		var items []json.RawMessage
		err := s.call(ctx, func(ctx context.Context) (err error) {
			items, _, err = s.cfg.Upstream.Query(ctx, cr.Collection, q, s.cfg.MaxItems)
			return err
		})
		var busy *BusyError
		switch {
		case errors.As(err, &busy), ctx.Err() != nil:
			return Result{}, false, err // the credential is paused, or the caller gone: nothing more now
		case err != nil:
			cr.Skipped = append(cr.Skipped, "query failed: "+err.Error())
			complete = false
			continue
		}
		items = items[:min(len(items), s.cfg.MaxItems)]
		acc.mapItems(s.cfg.Mapper, cr, items)
		s.count(0, len(items))
	}
	res.Objects = acc.objects
	s.forgetHits(q)
	return res, complete, nil
}

// maxCollections is how many collections one lookup fetches.
func (s *Service) maxCollections() int { return max(s.cfg.Burst-1, 1) }

// globalSearch asks which collections hold matches, or reuses the answer
// a lookup that then ran out of budget got.
func (s *Service) globalSearch(ctx context.Context, q string) ([]Hit, error) {
	s.mu.Lock()
	h, ok := s.hits[q]
	s.mu.Unlock()
	if ok && s.cfg.Now().Before(h.expires) {
		return h.hits, nil
	}
	if err := s.take(ctx, 1); err != nil {
		return nil, err
	}
	var hits []Hit
	err := s.call(ctx, func(ctx context.Context) (err error) {
		hits, err = s.cfg.Upstream.GlobalSearch(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hits) >= s.cfg.CacheEntries {
		clear(s.hits) // a bound, not a policy: these live only until the retry
	}
	s.hits[q] = cachedHits{hits: hits, expires: s.cfg.Now().Add(max(s.cfg.CacheTTL, time.Minute))}
	return hits, nil
}

func (s *Service) forgetHits(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hits, q)
}

// take takes n tokens of the lookup budget at once, waiting at most
// MaxWait for them; otherwise it takes none and says when they will be
// there.
func (s *Service) take(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	now := s.cfg.Now()
	r := s.budget.ReserveN(now, n)
	if !r.OK() { // more than the burst: cannot happen with maxCollections
		return &BusyError{RetryAfter: time.Minute, Reason: fmt.Sprintf("a lookup needs %d Group-IB requests, more than the lookup budget's burst", n)}
	}
	d := r.DelayFrom(now)
	if d > s.cfg.MaxWait {
		r.CancelAt(now)
		return &BusyError{RetryAfter: d, Reason: "the lookup budget of Group-IB API requests is spent"}
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d) // at most MaxWait: the command line's patience; serve's is 0
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.CancelAt(s.cfg.Now())
		return ctx.Err()
	}
}

// call makes one upstream request, paid for by take, and times it.
func (s *Service) call(ctx context.Context, do func(context.Context) error) error {
	start := time.Now()
	err := do(ctx)
	s.mu.Lock()
	s.stats.Upstream++
	s.stats.UpstreamTime += time.Since(start)
	s.mu.Unlock()
	return err
}

func (s *Service) count(lookups, items int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Lookups += int64(lookups)
	s.stats.Items += int64(items)
}

// objectKey is an object version: the same object from two items (the
// Group-IB identity, a shared observable) is kept once.
type objectKey struct{ id, version string }

// accumulator gathers the mapped objects of a lookup.
type accumulator struct {
	seen    map[objectKey]bool
	objects []storage.Object
}

// maxSkipped is how many skip reasons a collection keeps.
const maxSkipped = 5

// mapItems maps each item as ingest does: one that fails to map, or maps
// to an invalid object, is skipped whole and its reason noted.
func (a *accumulator) mapItems(m Mapper, cr *CollectionResult, items []json.RawMessage) {
	for _, item := range items {
		objs, err := mapItem(m, cr.Collection, item)
		if err != nil {
			if len(cr.Skipped) < maxSkipped {
				cr.Skipped = append(cr.Skipped, err.Error())
			}
			continue
		}
		cr.Fetched++
		cr.Objects += len(objs)
		for _, o := range objs {
			k := objectKey{o.ID, o.VersionText}
			if !a.seen[k] {
				a.seen[k] = true
				a.objects = append(a.objects, o)
			}
		}
	}
}

func mapItem(m Mapper, collection string, item json.RawMessage) (objs []storage.Object, err error) {
	defer func() {
		if r := recover(); r != nil { // a custom mapping's bug: one item, not the lookup
			objs, err = nil, fmt.Errorf("mapping panicked: %v", r)
		}
	}()
	mapped, err := m.MapObjects(collection, item)
	if err != nil {
		return nil, err
	}
	for _, o := range mapped {
		h := o.Head
		obj, err := storage.ObjectFromFields(h.ID, h.Type, h.SpecVersion, h.Created, h.Modified, o.JSON)
		if err != nil {
			return nil, fmt.Errorf("mapped object: %w", err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}
