package lookup_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/lookup"
)

// BenchmarkLookup measures lookups against the simulator over loopback
// HTTP, through the project's Group-IB client and the embedded mapping:
// cold (the cache off: a global search, a query per collection holding
// the value, the mapping) and cached (the same value again). It reports
// the p50 and p99 of the lookups' latencies.
//
//	go test ./lookup -run '^$' -bench Lookup -benchtime 300x
func BenchmarkLookup(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cold", -1}, {"cached", time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			sim, svc, _ := setup(b, func(c *lookup.Config) { c.Budget, c.Burst, c.CacheTTL = 1e9, 1e6, bc.ttl })
			values := addresses(b, sim, collections[0])
			var took []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := svc.Lookup(context.Background(), values[i%len(values)]); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				if bc.ttl < 0 {
					i++
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e6, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds())/1e6, "p99-ms")
		})
	}
}
