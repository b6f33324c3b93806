package gibsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkServeUpdated measures the simulator alone: items per second it
// renders and serves through /updated pages of 500 over loopback HTTP, so
// that ingest benchmarks know it is not their bottleneck.
//
//	go test ./gibsim -run '^$' -bench ServeUpdated
func BenchmarkServeUpdated(b *testing.B) {
	for _, coll := range []string{"ioc/common", "apt/threat", "compromised/account_group"} {
		b.Run(coll, func(b *testing.B) {
			sim := New(Config{Seed: 1, Items: 20000, Collections: []string{coll},
				Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
			srv := httptest.NewServer(sim.Handler())
			defer srv.Close()
			spec, _ := sim.Spec(coll)
			seq, served := int64(0), 0
			b.ResetTimer()
			for range b.N {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+apiPrefix+coll+"/updated?limit="+strconv.Itoa(spec.MaxLimit)+"&seqUpdate="+strconv.FormatInt(seq, 10), nil)
				req.SetBasicAuth("user@example.com", "api-key")
				res, err := srv.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var p struct {
					Items     []json.RawMessage `json:"items"`
					SeqUpdate int64             `json:"seqUpdate"`
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if err := json.Unmarshal(body, &p); err != nil {
					b.Fatal(err)
				}
				served += len(p.Items)
				seq = p.SeqUpdate
				if len(p.Items) == 0 {
					seq = 0 // wrap around
				}
			}
			b.ReportMetric(float64(served)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
