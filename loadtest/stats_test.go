package loadtest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The histogram's quantiles are within 1% of the exact ones, over latencies
// from microseconds to seconds, and survive merging.
func TestLoadtestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var a, b histogram
	var all []time.Duration
	for i := range 100_000 {
		d := time.Duration(r.ExpFloat64() * float64(time.Millisecond) * float64(1+i%1000))
		all = append(all, d)
		if i%2 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	a.merge(&b)
	slices.Sort(all)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))-1]
		assert.InEpsilon(t, float64(exact), float64(a.quantile(q)), 0.01, "q %v", q)
	}
	assert.Equal(t, all[len(all)-1], a.max)
	assert.Equal(t, all[len(all)-1], a.quantile(1))
}

func TestLoadtestHistogramBuckets(t *testing.T) {
	assert.Equal(t, 0, bucketOf(-time.Second), "a clock step back is no negative index")
	assert.Equal(t, histBuckets-1, bucketOf(1<<63-1))
	for _, d := range []time.Duration{0, 1, 255, 256, 257, 1000, 12345, time.Millisecond, time.Hour, 1<<63 - 1} {
		mid := bucketMid(bucketOf(d))
		assert.InDelta(t, float64(d), float64(mid), float64(d)/256+1, "%d", d)
	}
	var empty histogram
	assert.Zero(t, empty.quantile(0.5))
}

func TestLoadtestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		assert.Equal(t, want, count(n))
	}
}
