package taxii_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/require"
)

// pagingClient pages through the indicators manifest the way real clients
// do: by next while more is true (mode "next"), or only by added_after set
// to the previous X-TAXII-Date-Added-Last (mode "header", checklist item 58),
// with a limit that changes between pages (trap T2).
type pagingClient struct {
	t         *testing.T
	f         *fixture
	rng       *rand.Rand
	byHeader  bool
	next      string
	last      string // X-TAXII-Date-Added-Last of the latest page
	got       []manifestEntry
	lastAdded time.Time
}

type manifestEntry struct {
	id, version string
	added       time.Time
}

// poll fetches one page and reports whether the server said more.
func (c *pagingClient) poll() bool {
	c.t.Helper()
	q := url.Values{"limit": {fmt.Sprint(1 + c.rng.IntN(7))}}
	switch {
	case c.next != "" && !c.byHeader:
		q.Set("next", c.next)
		if c.last != "" && c.rng.IntN(2) == 0 { // some clients re-send added_after, some drop it
			q.Set("added_after", c.last)
		}
	case c.last != "":
		q.Set("added_after", c.last)
	}
	rec := c.f.get(api1 + collIndicators + "/manifest/?" + q.Encode())
	require.Equal(c.t, http.StatusOK, rec.Code, rec.Body.String())
	m := decode[manifest](c.t, rec)
	for _, r := range m.Objects {
		added, err := time.Parse(stamp, r.DateAdded)
		require.NoError(c.t, err)
		require.True(c.t, added.After(c.lastAdded), "date_added %s after %s: in order, never twice", added, c.lastAdded)
		c.lastAdded = added
		c.got = append(c.got, manifestEntry{id: r.ID, version: r.Version, added: added})
	}
	if len(m.Objects) > 0 {
		require.Equal(c.t, m.Objects[len(m.Objects)-1].DateAdded, dateHeader(rec, "Last"))
	}
	if h := dateHeader(rec, "Last"); h != "" {
		c.last = h
	}
	require.True(c.t, !m.More || m.Next != "", "more without next")
	c.next = m.Next
	return m.More
}

// writer inserts random bursts: new objects, new versions of old ones,
// unchanged re-writes and late-arriving older versions, often several
// sharing one clock tick.
type writer struct {
	t      *testing.T
	f      *fixture
	rng    *rand.Rand
	latest map[int]time.Time // object number -> latest modified
	oldest map[int]time.Time
	n      int
}

func (w *writer) burst() {
	var objs []storage.Object
	for range 1 + w.rng.IntN(6) {
		k := w.rng.IntN(w.n + 1)
		switch mod, ok := w.latest[k]; {
		case !ok:
			k = w.n
			w.n++
			mod = t0.Add(time.Duration(w.rng.IntN(1000)) * time.Minute)
			w.latest[k], w.oldest[k] = mod, mod
			objs = append(objs, stixObject(w.t, "indicator", k, mod))
		case w.rng.IntN(4) == 0: // an unchanged re-delivery: a no-op
			objs = append(objs, stixObject(w.t, "indicator", k, mod))
		case w.rng.IntN(5) == 0: // an older version arriving late
			old := w.oldest[k].Add(-time.Minute)
			w.oldest[k] = old
			objs = append(objs, stixObject(w.t, "indicator", k, old))
		default:
			next := mod.Add(time.Duration(1+w.rng.IntN(60)) * time.Second)
			w.latest[k] = next
			objs = append(objs, stixObject(w.t, "indicator", k, next))
		}
	}
	w.f.add(collIndicators, objs...)
	if w.rng.IntN(2) == 0 { // otherwise the next burst shares this tick
		w.f.clock.Advance(time.Duration(w.rng.IntN(3)) * time.Microsecond)
	}
}

// TestPagingProperty interleaves random insert bursts with page fetches,
// then drains, and checks that the client saw every entry at most once in
// ascending date_added order (checked on every page), that every object's
// latest version came back exactly once, and that paging terminated.
func TestPagingProperty(t *testing.T) {
	for seed := range uint64(40) {
		for _, byHeader := range []bool{false, true} {
			t.Run(fmt.Sprintf("seed=%d/header=%v", seed, byHeader), func(t *testing.T) {
				f := newFixture(t)
				rng := rand.New(rand.NewPCG(seed, 7))
				w := &writer{t: t, f: f, rng: rng, latest: map[int]time.Time{}, oldest: map[int]time.Time{}}
				c := &pagingClient{t: t, f: f, rng: rng, byHeader: byHeader}
				for range 60 {
					if rng.IntN(5) < 2 {
						w.burst()
					} else {
						c.poll()
					}
				}
				drained := false
				for range 500 {
					if !c.poll() {
						drained = true
						break
					}
				}
				require.True(t, drained, "paging terminates")
				c.poll() // a final poll after more=false finds nothing new
				require.Empty(t, c.next)
				checkLatestOnce(t, w, c.got)
			})
		}
	}
}

func checkLatestOnce(t *testing.T, w *writer, got []manifestEntry) {
	t.Helper()
	count := map[string]int{}
	for _, e := range got {
		count[e.id+"@"+e.version]++
	}
	for k, mod := range w.latest {
		key := stixID("indicator", k) + "@" + mod.Format("2006-01-02T15:04:05.000Z")
		require.Equal(t, 1, count[key], "latest version %s returned exactly once", key)
	}
}
