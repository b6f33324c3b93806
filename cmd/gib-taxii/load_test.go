package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var loadDuration = flag.Duration("load.duration", 3*time.Second, "how long TestLoadWhileIngesting runs (the long run: 60s)")

// TestLoadWhileIngesting: 64 clients page through both demo collections
// while ingest writes new simulated items into them. Every request must
// succeed, and the process must end with the goroutines, file descriptors
// and heap it had once warmed up: no leak under load.
func TestLoadWhileIngesting(t *testing.T) {
	// A few collections and small pages, so that an ingest commit in flight
	// when the heap is sampled weighs little.
	sim := gibsim.New(gibsim.Config{Seed: 31, Items: 20, Collections: []string{"ioc/common", "malware/cnc", "apt/threat"}})
	simSrv := httptest.NewServer(sim.Handler())
	defer simSrv.Close()
	cfg, err := demoConfig("127.0.0.1:0", filepath.Join(t.TempDir(), "store.db"), "pw", simSrv.URL+"/api/v2/", sim.Collections())
	require.NoError(t, err)
	for name, c := range cfg.GroupIB.Collections {
		c.PollInterval = 2 * time.Second // idle between polls, so the heap can be measured at rest
		cfg.GroupIB.Collections[name] = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() }) }()
	base := "http://" + <-addr + "/gib/collections/"
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Run(simCtx, 100*time.Millisecond, 2) }()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	warm := runLoad(t, client, base, 64, 500*time.Millisecond) // first logins, pools filled
	require.Empty(t, warm.errors)
	client.CloseIdleConnections()
	g0, fd0, heap0 := settledFootprint(t, 0, 0)
	res := runLoad(t, client, base, 64, *loadDuration)
	stopSim()
	<-simDone
	client.CloseIdleConnections()
	g1, fd1, heap1 := settledFootprint(t, g0, fd0)

	t.Logf("%d requests in %s by 64 clients, %d errors; p50 %s, p99 %s, max %s; goroutines %d -> %d, fds %d -> %d, heap %d -> %d MB",
		len(res.latencies), *loadDuration, len(res.errors), res.quantile(0.5), res.quantile(0.99), res.quantile(1),
		g0, g1, fd0, fd1, heap0>>20, heap1>>20)
	assert.Empty(t, res.errors, "every request succeeds")
	assert.Greater(t, len(res.latencies), 64, "the clients got answers")
	assert.LessOrEqual(t, g1, g0+5, "goroutines")
	assert.LessOrEqual(t, fd1, fd0+5, "file descriptors")
	assert.Less(t, int64(heap1)-int64(heap0), int64(64<<20), "heap")
	cancel()
	require.NoError(t, <-done)
}

type loadResult struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    []string
}

func (r *loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

// runLoad has n clients each page through a demo collection (objects,
// then manifest) by next, from the start again at the end, until d ends.
func runLoad(t *testing.T, client *http.Client, base string, n int, d time.Duration) *loadResult {
	res := &loadResult{}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			path := []string{"intel/objects/", "indicators/objects/", "intel/manifest/"}[i%3]
			next := ""
			for time.Now().Before(deadline) {
				q := url.Values{"limit": {"50"}}
				if next != "" {
					q.Set("next", next)
				}
				start := time.Now()
				var err error
				next, err = loadPage(client, base+path+"?"+q.Encode())
				res.mu.Lock()
				res.latencies = append(res.latencies, time.Since(start))
				if err != nil && len(res.errors) < 20 {
					res.errors = append(res.errors, err.Error())
				}
				res.mu.Unlock()
			}
		})
	}
	wg.Wait()
	return res
}

func loadPage(client *http.Client, u string) (next string, err error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.SetBasicAuth(demoUser, "pw")
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", u, res.StatusCode, body)
	}
	var env struct{ Next string }
	return env.Next, json.Unmarshal(body, &env)
}

// settledFootprint waits (bounded) for closed connections' goroutines and
// descriptors to go, down to the given baseline if any, then measures.
// The heap is the least seen: an ingest page being mapped and committed
// when a sample is taken holds tens of MB for a moment.
func settledFootprint(t *testing.T, g0, fd0 int) (goroutines, fds int, heap uint64) {
	heap = ^uint64(0)
	for range 100 {
		g, f, h := footprint()
		goroutines, fds, heap = g, f, min(heap, h)
		if g0 > 0 && goroutines <= g0 && fds <= fd0 && heap < uint64(16<<20) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return goroutines, fds, heap
}

// footprint is the process's goroutines, open file descriptors and heap
// in use after a collection.
func footprint() (goroutines, fds int, heap uint64) {
	runtime.GC()
	runtime.GC() // the second empties sync.Pools
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	entries, _ := os.ReadDir("/proc/self/fd")
	return runtime.NumGoroutine(), len(entries), m.HeapAlloc
}
