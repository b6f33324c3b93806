package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
)

// ingestRow is one ingest measure.
type ingestRow struct {
	collection         string
	items              int
	perSecond, mapRate float64
	writtenPerItem     float64 // bytes passed to write calls, less what the simulator sent
}

// benchIngestRows ingests simulated ioc/common and apt/threat items.
func benchIngestRows(ctx context.Context, rep *benchReport, dir string, e env) error {
	engine, err := loadMappings("")
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name  string
		items int
	}{{"ioc/common", rep.opts.ingestItems}, {"apt/threat", max(rep.opts.ingestItems/10, 10)}} {
		fmt.Fprintf(e.stderr, "ingest: %d %s items...\n", c.items, c.name)
		row, err := benchIngest(ctx, engine, filepath.Join(dir, strings.ReplaceAll(c.name, "/", "-")+".db"), c.name, c.items)
		if err != nil {
			return fmt.Errorf("ingest %s: %w", c.name, err)
		}
		rep.ingest = append(rep.ingest, row)
	}
	return nil
}

// benchIngest runs one ingest pass from an in-process simulator over
// loopback HTTP into a fresh store (fsync on, pages of 100 as shipped),
// then maps the same items alone on every core.
func benchIngest(ctx context.Context, engine *mapping.Engine, path, collection string, items int) (ingestRow, error) {
	row := ingestRow{collection: collection, items: items}
	now := func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }
	sim := gibsim.New(gibsim.Config{Seed: 1, Items: items, Collections: []string{collection}, Now: now,
		Username: "bench@example.com", APIKey: "bench"})
	var served atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return row, err
	}
	hs := &http.Server{Handler: countBytes(sim.Handler(), &served), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	store, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		return row, err
	}
	defer store.Close()
	client, err := ingest.NewClient(ingest.ClientConfig{BaseURL: "http://" + ln.Addr().String() + "/api/v2/",
		Username: "bench@example.com", APIKey: "bench", RateLimit: 1e6, Burst: 1000})
	if err != nil {
		return row, err
	}
	runner := ingest.NewRunner(ingest.RunnerConfig{Client: client, Store: store, Mapper: engine, Now: now,
		Collections: []ingest.CollectionConfig{{Name: collection, Lookback: 60 * 24 * time.Hour, Limit: 100,
			Routes: []ingest.Route{{Collection: benchCollection}}}}})
	w0, s0, start := wchar(), served.Load(), time.Now()
	if err := runner.RunOnce(ctx); err != nil {
		return row, err
	}
	row.perSecond = float64(items) / time.Since(start).Seconds()
	row.writtenPerItem = float64(wchar()-w0-(served.Load()-s0)) / float64(items)
	row.mapRate, err = mappingRate(engine, collection, sim.Items(collection))
	return row, err
}

// mappingRate maps the items on every core, as ingest does, and nothing
// else: the rate ingest is measured against.
func mappingRate(engine *mapping.Engine, collection string, items []json.RawMessage) (float64, error) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(items); i = int(next.Add(1) - 1) {
				if _, err := engine.MapObjects(collection, items[i]); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, err
	}
	return float64(len(items)) / time.Since(start).Seconds(), nil
}

// wchar is the bytes this process has passed to write calls (Linux), or 0.
func wchar() int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// countBytes counts the response bytes a handler writes.
func countBytes(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(byteCounter{w, n}, r) })
}

type byteCounter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w byteCounter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}
