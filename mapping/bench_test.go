package mapping

import (
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
)

// BenchmarkMap measures mapped items per second for every collection of
// the shipped mappings, on simulated items with drift.
//
//	go test ./mapping -run '^$' -bench Map
func BenchmarkMap(b *testing.B) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	if err != nil {
		b.Fatal(err)
	}
	sim := gibsim.New(gibsim.Config{Seed: 1, Items: 300, Drift: 0.2,
		Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
	for _, c := range e.Collections() {
		items := sim.Items(c)
		b.Run(c, func(b *testing.B) {
			n := 0
			for b.Loop() {
				if _, err := e.Map(c, items[n%len(items)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
