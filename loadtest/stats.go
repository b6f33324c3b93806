package loadtest

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts durations in buckets of at most 1/128 of their value
// (values under 256 ns are exact), so a quantile read from the middle of
// its bucket is within 0.4% of the recorded value: 7,296 counters, 57 KiB,
// whatever the number of requests. The maximum is kept exactly.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

// A value v with s = max(0, bits.Len64(v)-8) falls in bucket
// s*128 + v>>s: v>>s is its top 8 bits, in [128, 256) once s > 0.
const histBuckets = 55*128 + 256

func bucketOf(d time.Duration) int {
	v := uint64(max(d, 0))
	s := max(0, bits.Len64(v)-8)
	return s*128 + int(v>>s)
}

// bucketMid is the middle of bucket i's range of values.
func bucketMid(i int) time.Duration {
	if i < 256 {
		return time.Duration(i)
	}
	s := i/128 - 1
	low := uint64(i-s*128) << s
	return time.Duration(low + (uint64(1)<<s)/2)
}

func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the smallest recorded value (to the bucket's precision) that
// at least q of the values do not exceed; 0 when nothing was recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	if rank >= h.n {
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(bucketMid(i), h.max)
		}
	}
	return h.max
}

// stats is what one client counted. Each client owns its own, merged when
// the run ends, so that counting takes no lock.
type stats struct {
	requests    int64 // answered, or failed other than by the run's end
	pages       int64 // 200 with a well-formed envelope
	objects     int64
	bytes       int64 // response bodies, as read (after any decompression)
	byStatus    map[int]int64
	timeouts    int64
	transport   int64
	badBodies   int64
	noNext      int64 // "more": true without a "next" to follow
	interrupted int64 // cut off by the end of the run: not counted above
	samples     []string
	latency     histogram
}

// maxSamples bounds the distinct error messages kept to show.
const maxSamples = 5

func (s *stats) sample(msg string) {
	for _, m := range s.samples {
		if m == msg {
			return
		}
	}
	if len(s.samples) < maxSamples {
		s.samples = append(s.samples, msg)
	}
}

func (s *stats) merge(o *stats) {
	s.requests += o.requests
	s.pages += o.pages
	s.objects += o.objects
	s.bytes += o.bytes
	for code, n := range o.byStatus {
		if s.byStatus == nil {
			s.byStatus = map[int]int64{}
		}
		s.byStatus[code] += n
	}
	s.timeouts += o.timeouts
	s.transport += o.transport
	s.badBodies += o.badBodies
	s.noNext += o.noNext
	s.interrupted += o.interrupted
	for _, m := range o.samples {
		s.sample(m)
	}
	s.latency.merge(&o.latency)
}

// mergeWalks adds one client's walk counts to the run's.
func mergeWalks(into *WalkStats, w WalkStats) {
	if w.Complete > 0 {
		if into.Complete == 0 || w.ObjectsMin < into.ObjectsMin {
			into.ObjectsMin = w.ObjectsMin
		}
		into.ObjectsMax = max(into.ObjectsMax, w.ObjectsMax)
	}
	into.Complete += w.Complete
	into.Aborted += w.Aborted
	into.Unfinished += w.Unfinished
	into.Duplicates += w.Duplicates
	into.Compared += w.Compared
	into.Identical += w.Identical
	into.Gaps += w.Gaps
	into.Untracked += w.Untracked
	into.Unchecked += w.Unchecked
}
