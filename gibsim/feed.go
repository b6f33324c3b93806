package gibsim

import (
	"math/rand/v2"
	"sort"
	"time"
)

// entry is one item revision in a collection's feed, in seqUpdate order.
// When an item is updated its old entry dies and a new one is appended:
// the item "gets a new seqUpdate and becomes relevant again".
type entry struct {
	seq   int64
	index int
	rev   int
	at    time.Time
	live  bool
}

// feed is the state of one simulated collection. Callers hold the
// simulator's lock.
type feed struct {
	spec      *Spec
	entries   []entry
	pos       map[int]int // item index -> position of its live entry
	firstSeen []time.Time // by item index
	dead      int
	rng       *rand.Rand // drives updates vs new items
}

func newFeed(spec *Spec, seed uint64, items int, start time.Time, history time.Duration) *feed {
	f := &feed{spec: spec, pos: map[int]int{}, rng: newRand(seed, spec.Name, -1, -2)}
	times := make([]time.Time, items)
	for i := range times {
		times[i] = start.Add(-time.Duration(f.rng.Int64N(int64(history) + 1)))
	}
	sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
	for _, t := range times {
		f.add(len(f.firstSeen), 0, t.Truncate(time.Second))
	}
	return f
}

// add appends a live entry for an item revision. seqUpdate values follow
// the collection's time scale and are strictly increasing.
func (f *feed) add(index, rev int, at time.Time) {
	if n := len(f.entries); n > 0 && at.Before(f.entries[n-1].at) {
		at = f.entries[n-1].at
	}
	if index == len(f.firstSeen) {
		f.firstSeen = append(f.firstSeen, at)
	}
	seq := scaled(at, f.spec.SeqDigits)
	if n := len(f.entries); n > 0 && seq <= f.entries[n-1].seq {
		seq = f.entries[n-1].seq + 1
	}
	if p, ok := f.pos[index]; ok {
		f.entries[p].live = false
		f.dead++
	}
	f.pos[index] = len(f.entries)
	f.entries = append(f.entries, entry{seq: seq, index: index, rev: rev, at: at, live: true})
	if f.dead > len(f.pos) {
		f.compact()
	}
}

// advance publishes n events at time at: updates of existing items (about
// half) and new items.
func (f *feed) advance(n int, at time.Time) {
	for range n {
		if len(f.firstSeen) > 0 && f.rng.IntN(2) == 0 {
			index := f.rng.IntN(len(f.firstSeen))
			f.add(index, f.entries[f.pos[index]].rev+1, at)
			continue
		}
		f.add(len(f.firstSeen), 0, at)
	}
}

func (f *feed) compact() {
	live := f.entries[:0:0]
	for _, e := range f.entries {
		if e.live {
			f.pos[e.index] = len(live)
			live = append(live, e)
		}
	}
	f.entries, f.dead = live, 0
}

// after returns the position of the first entry with seq > seq.
func (f *feed) after(seq int64) int {
	return sort.Search(len(f.entries), func(i int) bool { return f.entries[i].seq > seq })
}

// since returns the position of the first entry at or after t.
func (f *feed) since(t time.Time) int {
	return sort.Search(len(f.entries), func(i int) bool { return !f.entries[i].at.Before(t) })
}

// liveFrom counts live entries from position p on.
func (f *feed) liveFrom(p int) int {
	n := 0
	for _, e := range f.entries[p:] {
		if e.live {
			n++
		}
	}
	return n
}

// scaled converts a time to a seqUpdate at the collection's scale.
func scaled(t time.Time, digits int) int64 {
	switch digits {
	case 10:
		return t.Unix()
	case 11:
		return t.UnixMilli() / 100
	case 13:
		return t.UnixMilli()
	case 14:
		return t.UnixMicro() / 100
	}
	return t.UnixMicro()
}
