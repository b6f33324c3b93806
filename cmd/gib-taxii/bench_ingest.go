package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/internal/measure"
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
		stopProfile, err := profileRow(rep.opts.profile, "ingest "+c.name)
		if err != nil {
			return err
		}
		row, err := benchIngest(ctx, engine, filepath.Join(dir, strings.ReplaceAll(c.name, "/", "-")+".db"), c.name, c.items)
		stopProfile()
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
	hs := &http.Server{Handler: measure.CountBytes(sim.Handler(), &served), ReadHeaderTimeout: 10 * time.Second}
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
	w0, s0, start := measure.Written(), served.Load(), time.Now()
	if err := runner.RunOnce(ctx); err != nil {
		return row, err
	}
	row.perSecond = float64(items) / time.Since(start).Seconds()
	row.writtenPerItem = float64(measure.Written()-w0-(served.Load()-s0)) / float64(items)
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
