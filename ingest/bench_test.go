package ingest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/internal/measure"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/require"
)

// BenchmarkFullSync measures a full sync of a 100k-item collection from the
// simulator over loopback HTTP into a fresh store, with the real mapper:
// fetch, decode, map, validate, commit (fsync on).
//
//	go test ./ingest -run '^$' -bench FullSync -benchtime 1x
func BenchmarkFullSync(b *testing.B) {
	for _, items := range benchSizes() {
		for _, limit := range []int{100, 500} {
			b.Run(fmt.Sprintf("items=%d/limit=%d", items, limit), func(b *testing.B) {
				sim := gibsim.New(gibsim.Config{Seed: 1, Items: items, Collections: []string{"ioc/common"},
					Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
				var served atomic.Int64 // bytes the simulator sent, which wchar counts too
				srv := httptest.NewServer(measure.CountBytes(sim.Handler(), &served))
				defer srv.Close()
				var total time.Duration
				var written int64
				for i := range b.N {
					store, err := boltstore.Open(filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", i)), boltstore.Options{})
					require.NoError(b, err)
					r := benchRunner(b, srv.URL+"/api/v2/", store, limit)
					start, w0, s0 := time.Now(), measure.Written(), served.Load()
					require.NoError(b, r.RunOnce(context.Background()))
					total += time.Since(start)
					written += measure.Written() - w0 - (served.Load() - s0)
					st, err := ingest.LoadState(context.Background(), store, "ioc/common")
					require.NoError(b, err)
					require.Equal(b, int64(items), st.Items)
					require.NoError(b, store.Close())
				}
				b.ReportMetric(float64(items*b.N)/total.Seconds(), "items/s")
				if written > 0 {
					b.ReportMetric(float64(written)/float64(items*b.N), "written-B/item")
				}
			})
		}
	}
}

func benchRunner(b *testing.B, url string, store *boltstore.Store, limit int) *ingest.Runner {
	client, err := ingest.NewClient(ingest.ClientConfig{BaseURL: url, Username: "user@example.com", APIKey: "api-key",
		RateLimit: 1e6, Burst: 1000})
	require.NoError(b, err)
	return ingest.NewRunner(ingest.RunnerConfig{Client: client, Store: store, Mapper: shippedMapper(b),
		Collections: []ingest.CollectionConfig{{Name: "ioc/common", Lookback: 60 * 24 * time.Hour, Limit: limit,
			Routes: []ingest.Route{{Collection: "indicators"}}}},
		Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
}

// benchSizes is 100k items unless GIB_TAXII_BENCH_ITEMS says otherwise.
func benchSizes() []int {
	if n, err := strconv.Atoi(os.Getenv("GIB_TAXII_BENCH_ITEMS")); err == nil && n > 0 {
		return []int{n}
	}
	return []int{100_000}
}
