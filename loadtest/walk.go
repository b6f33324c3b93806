package loadtest

import (
	"hash/maphash"
	"slices"
)

// walkCheck is what one client saw over its walks through the collection,
// and what checking them found. It belongs to one client goroutine.
//
// Each object is kept as two 64-bit hashes, of its id and of id+version:
// 16 bytes per object, plus 8 for the previous walk's ids, so a client
// tracks a walk of a million objects in 24 MB. Sorting them when the walk
// ends finds the duplicates (adjacent equal id+version) and, merged with
// the previous walk's sorted ids, the gaps. A hash collision among a
// million objects has odds of about 1 in 30 million.
//
// Gaps are ids, not versions: an object updated between two walks is
// served at its new version, and that is no gap. An object deleted
// between two walks does count as one.
type walkCheck struct {
	hash     maphash.Hash
	max      int    // objects tracked per walk; a longer walk goes unchecked
	ids      blocks // this walk's, in the order seen
	versions blocks
	objects  int      // this walk's, tracked or not
	overflow bool     // this walk saw more than max objects
	prev     []uint64 // the previous complete walk's ids, sorted, distinct
	// prevSpare and sortSpare are memory kept for the next sorted copies.
	prevSpare, sortSpare []uint64
	prevSum              uint64 // setHash of its id+versions
	hasPrev              bool

	WalkStats
}

// WalkStats counts walks and what their checks found.
type WalkStats struct {
	// Complete walks ended with a page without "more"; Aborted ones were
	// cut short by an error and started again; Unfinished ones were still
	// going when the run ended.
	Complete   int64 `json:"complete"`
	Aborted    int64 `json:"aborted"`
	Unfinished int64 `json:"unfinished"`
	// ObjectsMin and ObjectsMax are the fewest and most objects in one
	// complete walk.
	ObjectsMin int64 `json:"objects_min"`
	ObjectsMax int64 `json:"objects_max"`
	// Duplicates are objects (same id and version) met again within one
	// walk, complete or not.
	Duplicates int64 `json:"duplicates"`
	// Compared is the number of complete walks checked against the same
	// client's previous complete walk; Identical ones held the very same
	// objects and versions; Gaps counts ids of the previous walk missing
	// from the next.
	Compared  int64 `json:"compared"`
	Identical int64 `json:"identical"`
	Gaps      int64 `json:"gaps"`
	// Untracked objects had no "id"; Unchecked walks were longer than the
	// tracking limit.
	Untracked int64 `json:"untracked"`
	Unchecked int64 `json:"unchecked"`
}

func newWalkCheck(seed maphash.Seed, max int) *walkCheck {
	w := &walkCheck{max: max}
	w.hash.SetSeed(seed)
	return w
}

// add records an object of the current walk.
func (w *walkCheck) add(id, version []byte) {
	w.objects++
	if len(id) == 0 {
		w.Untracked++
		return
	}
	if w.ids.n >= w.max {
		w.overflow = true
		return
	}
	w.hash.Reset()
	w.hash.Write(id)
	idHash := w.hash.Sum64()
	w.hash.WriteByte(0)
	w.hash.Write(version)
	w.ids.add(idHash)
	w.versions.add(w.hash.Sum64())
}

// complete ends a walk that reached its last page.
func (w *walkCheck) complete() {
	w.Complete++
	n := int64(w.objects)
	if w.Complete == 1 || n < w.ObjectsMin {
		w.ObjectsMin = n
	}
	w.ObjectsMax = max(w.ObjectsMax, n)
	versions := w.duplicates()
	if w.overflow {
		w.Unchecked++
		w.hasPrev = false
		w.restart()
		return
	}
	ids := w.ids.sorted(w.prevSpare)
	ids = slices.Compact(ids)
	sum := setHash(versions)
	if w.hasPrev {
		w.Compared++
		w.Gaps += int64(missing(w.prev, ids))
		if slices.Equal(ids, w.prev) && sum == w.prevSum {
			w.Identical++
		}
	}
	// Keep this walk's ids for the next comparison, and reuse the
	// previous walk's memory for the one after.
	w.prevSpare = w.prev
	w.prev, w.prevSum, w.hasPrev = ids, sum, true
	w.restart()
}

// abort ends a walk cut short by an error.
func (w *walkCheck) abort() {
	w.Aborted++
	w.duplicates()
	w.restart()
}

// finish ends the run: a walk under way is checked for duplicates only.
func (w *walkCheck) finish() WalkStats {
	if w.objects > 0 {
		w.Unfinished++
		w.duplicates()
	}
	return w.WalkStats
}

// duplicates counts the current walk's repeated id+versions, and returns
// them sorted.
func (w *walkCheck) duplicates() []uint64 {
	v := w.versions.sorted(w.sortSpare)
	w.sortSpare = v
	for i := 1; i < len(v); i++ {
		if v[i] == v[i-1] {
			w.Duplicates++
		}
	}
	return v
}

// setHash is an order-free hash of the distinct values of sorted v.
func setHash(v []uint64) uint64 {
	var sum uint64
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			sum += x * 0x9e3779b97f4a7c15
		}
	}
	return sum
}

func (w *walkCheck) restart() {
	w.ids.reset()
	w.versions.reset()
	w.objects, w.overflow = 0, false
}

// blocks is a list of hashes kept in fixed-size blocks: appending a
// million of them copies nothing, where a growing slice would copy them
// over and over (a fifth of a walk's CPU in a profile).
type blocks struct {
	full    [][]uint64
	last    []uint64
	n       int
	scratch []uint64
}

const blockLen = 1 << 16

func (b *blocks) add(v uint64) {
	if len(b.last) == blockLen {
		b.full = append(b.full, b.last)
		b.last = nil
	}
	if b.last == nil {
		b.last = make([]uint64, 0, blockLen)
	}
	b.last = append(b.last, v)
	b.n++
}

// sorted returns the hashes sorted, in spare's memory when it is large
// enough.
func (b *blocks) sorted(spare []uint64) []uint64 {
	out := spare[:0]
	if cap(out) < b.n {
		out = make([]uint64, 0, b.n)
	}
	for _, blk := range b.full {
		out = append(out, blk...)
	}
	out = append(out, b.last...)
	b.scratch = radixSort(out, b.scratch)
	return out
}

// radixSort sorts v in place, by 16 bits at a time through scratch (grown
// to len(v) and returned for reuse): a walk's million hashes sort in a
// tenth of the time slices.Sort takes, time the walk's rate would count.
func radixSort(v, scratch []uint64) []uint64 {
	if len(v) < 4096 {
		slices.Sort(v)
		return scratch
	}
	if cap(scratch) < len(v) {
		scratch = make([]uint64, len(v))
	}
	src, dst := v, scratch[:len(v)]
	var count [1 << 16]int
	for shift := 0; shift < 64; shift += 16 {
		clear(count[:])
		for _, x := range src {
			count[(x>>shift)&0xffff]++
		}
		pos := 0
		for i, c := range count {
			count[i], pos = pos, pos+c
		}
		for _, x := range src {
			d := (x >> shift) & 0xffff
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	// Four passes: the sorted values are back in v.
	return scratch
}

// reset empties b and frees its blocks (a later walk may be shorter),
// keeping the sort's scratch memory.
func (b *blocks) reset() { *b = blocks{scratch: b.scratch} }

// missing counts the elements of sorted a that sorted b lacks.
func missing(a, b []uint64) int {
	n, j := 0, 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			n++
		}
	}
	return n
}
