package gibsim

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Simulator. The zero value serves every collection
// with 100 items each, no drift, no faults, user "user@example.com" and API
// key "api-key".
type Config struct {
	Seed uint64
	// Items is the number of items each collection starts with.
	Items int
	// Drift is the probability that a field takes one of the API's
	// alternative shapes (0..1).
	Drift    float64
	Username string
	APIKey   string
	// Now is the simulator's clock. Default time.Now.
	Now func() time.Time
	// Epoch, when set, fixes the simulated timeline so that it no longer
	// depends on when the simulator starts: the initial items are published
	// in the History before Epoch (not before Now), Advance stamps its events
	// at Epoch, and the dates clients send (sequence_list's date, search's
	// df and dt, /updated's df), which they derive from their own clock,
	// are ignored: any date asks for the whole feed. Two simulators with the
	// same Seed, Epoch and Advance calls serve the same items and cursors
	// whenever and wherever they run. Now still times resultId expiry.
	Epoch time.Time
	// History is how far back the initial items were published. Default 30 days.
	History time.Duration
	// Collections restricts the simulated collections (default: all).
	Collections []string
	// ResultIDTTL is how long an idle search session lives. Default 10 minutes.
	ResultIDTTL time.Duration
	// SearchMax is the most entries a compromised/reaper search serves.
	// Default 10,000.
	SearchMax int
	// FaultRate is the probability of a random transient fault per request.
	FaultRate float64
	Logger    *slog.Logger
}

// Simulator is a simulated Group-IB API. It is safe for concurrent use.
type Simulator struct {
	cfg      Config
	mu       sync.Mutex
	feeds    map[string]*feed
	names    []string
	sessions map[string]*session
	faults   []Fault
	rng      *rand.Rand
	nextID   uint64
	requests atomic.Int64
	queries  []string // raw queries of recent requests, for tests
}

// New builds a simulator; it starts no goroutine.
func New(cfg Config) *Simulator {
	cfg = cfg.withDefaults()
	s := &Simulator{cfg: cfg, feeds: map[string]*feed{}, sessions: map[string]*session{},
		rng: newRand(cfg.Seed, "faults", -1, -1)}
	start := cfg.Now()
	if !cfg.Epoch.IsZero() {
		start = cfg.Epoch
	}
	for _, spec := range Catalogue() {
		if len(cfg.Collections) > 0 && !slices.Contains(cfg.Collections, spec.Name) {
			continue
		}
		sp := spec
		s.feeds[spec.Name] = newFeed(&sp, cfg.Seed, cfg.Items, start, cfg.History)
		s.names = append(s.names, spec.Name)
	}
	return s
}

func (c Config) withDefaults() Config {
	if c.Items == 0 {
		c.Items = 100
	}
	if c.Username == "" {
		c.Username = "user@example.com"
	}
	if c.APIKey == "" {
		c.APIKey = "api-key"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.History <= 0 {
		c.History = 30 * 24 * time.Hour
	}
	if c.ResultIDTTL <= 0 {
		c.ResultIDTTL = 10 * time.Minute
	}
	if c.SearchMax <= 0 {
		c.SearchMax = 10000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Collections returns the simulated collection names in catalogue order.
func (s *Simulator) Collections() []string { return slices.Clone(s.names) }

// Spec returns the spec of a simulated collection.
func (s *Simulator) Spec(collection string) (Spec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.feeds[collection]
	if !ok {
		return Spec{}, false
	}
	return *f.spec, true
}

// Advance publishes n events (updates of existing items and new items) in
// every collection, stamped with the simulator's clock.
func (s *Simulator) Advance(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	if !s.cfg.Epoch.IsZero() {
		now = s.cfg.Epoch
	}
	for _, name := range s.names {
		s.feeds[name].advance(n, now)
	}
}

// Run publishes n events per collection every interval until ctx ends, so
// a long-running demo keeps flowing.
func (s *Simulator) Run(ctx context.Context, interval time.Duration, n int) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.Advance(n)
		}
	}
}

// Inject queues faults; each hits the next matching requests.
func (s *Simulator) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Requests returns how many requests the simulator has received.
func (s *Simulator) Requests() int64 { return s.requests.Load() }

// maxQueries bounds the request log.
const maxQueries = 1000

// Queries returns the path and query of the most recent requests (up to
// 1,000), oldest first, for tests to check what a client sent.
func (s *Simulator) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

func (s *Simulator) logQuery(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queries) == maxQueries {
		s.queries = s.queries[1:]
	}
	s.queries = append(s.queries, q)
}

// ItemState is the current state of one simulated item.
type ItemState struct {
	Revision  int
	SeqUpdate int64 // zero for search-only collections
	Updated   time.Time
}

// Latest returns every item of a collection with its current state, keyed
// by item id: what a complete sync must end up with.
func (s *Simulator) Latest(collection string) map[string]ItemState {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[collection]
	out := make(map[string]ItemState, len(f.pos))
	for index, p := range f.pos {
		e := f.entries[p]
		st := ItemState{Revision: e.rev, Updated: e.at}
		if f.spec.Mode == ModeUpdated {
			st.SeqUpdate = e.seq
		}
		out[itemID(f.spec.IDForm, s.cfg.Seed, f.spec.Name, index)] = st
	}
	return out
}

// render returns the item body of one entry, with id and (for updated
// collections) seqUpdate.
func (s *Simulator) render(f *feed, e entry) map[string]any {
	it := newItem(f.spec, s.cfg.Seed, s.cfg.Drift, e.index, e.rev, f.firstSeen[e.index], e.at)
	m := f.spec.Generate(it)
	m["id"] = it.ID
	if f.spec.Mode == ModeUpdated {
		m["seqUpdate"] = e.seq
	}
	return m
}

// Items renders every live item of a collection, in feed order, as the API
// would serve it: for tests and benchmarks of the mapping.
func (s *Simulator) Items(collection string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[collection]
	if f == nil {
		return nil
	}
	var out []json.RawMessage
	for _, e := range f.entries {
		if !e.live {
			continue
		}
		b, err := json.Marshal(s.render(f, e))
		if err == nil {
			out = append(out, b)
		}
	}
	return out
}
