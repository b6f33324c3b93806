package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/measure"
	"github.com/gib-taxii/gib-taxii/loadtest"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/taxii"
	"golang.org/x/crypto/bcrypt"
)

// benchOptions are gib-taxii bench's flags.
type benchOptions struct {
	objects, ingestItems, clients int
	duration                      time.Duration
	dir, out, profile             string
	keep                          bool
	load                          string // load average when the run began
}

func (o benchOptions) loadStart() string { return o.load }

// runBench builds a store, measures it from the raw scan to 32 clients of
// the TAXII API, ingest, and export, and writes the table of
// docs/PERFORMANCE.md.
func runBench(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "bench", "[--objects N] [--ingest-items N] [--clients N] [--duration D] [--dir DIR] [--keep] [--profile DIR] [-o FILE]")
	var o benchOptions
	fs.IntVar(&o.objects, "objects", 1_000_000, "objects in the bench store")
	fs.IntVar(&o.ingestItems, "ingest-items", 20_000, "simulated ioc/common items ingested (apt/threat: a tenth)")
	fs.IntVar(&o.clients, "clients", 32, "concurrent clients of the many-clients row")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each load row runs")
	fs.StringVar(&o.dir, "dir", "", "directory for the stores (default: a temporary one, removed after)")
	fs.BoolVar(&o.keep, "keep", false, "keep the stores")
	fs.StringVar(&o.out, "o", "-", "where the Markdown report goes; - is standard output")
	fs.StringVar(&o.profile, "profile", "", "write a CPU profile of each measured row into this directory (go tool pprof reads them)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if o.objects < 1000 || o.ingestItems < 10 || o.clients < 1 || o.duration <= 0 {
		return errors.New("bench: --objects at least 1000, --ingest-items at least 10, --clients at least 1, --duration positive")
	}
	dir, cleanup, err := benchDir(o)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer cleanup()
	o.load = loadAverage()
	rep := &benchReport{opts: o, started: time.Now()}
	for _, step := range []func(context.Context, *benchReport, string, env) error{benchStoreRows, benchIngestRows} {
		if err := step(ctx, rep, dir, e); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return writeBenchReport(e, rep, o.out)
}

func benchDir(o benchOptions) (string, func(), error) {
	if o.dir != "" {
		return o.dir, func() {}, os.MkdirAll(o.dir, 0o700)
	}
	dir, err := os.MkdirTemp("", "gib-taxii-bench-")
	if err != nil {
		return "", nil, err
	}
	if o.keep {
		return dir, func() {}, nil
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// benchStoreRows builds the store and measures everything that reads it.
func benchStoreRows(ctx context.Context, rep *benchReport, dir string, e env) error {
	fmt.Fprintf(e.stderr, "building a store of %d objects...\n", rep.opts.objects)
	built, err := buildBenchStore(ctx, dir, rep.opts.objects, 1)
	if err != nil {
		return err
	}
	rep.store = built
	store, err := boltstore.Open(built.path, boltstore.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	n, err := store.ScanRaw(ctx, benchCollection, func([]byte) {})
	if err != nil {
		return err
	}
	rep.rawScan = float64(n) / time.Since(start).Seconds()
	if err := benchServe(ctx, rep, store, e); err != nil {
		return err
	}
	return benchExport(ctx, rep, store)
}

// benchServe serves the store over loopback HTTP, as serve does (request
// log included, to a discarding JSON handler), and runs the load rows.
func benchServe(ctx context.Context, rep *benchReport, store *boltstore.Store, e env) error {
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), bcrypt.MinCost)
	if err != nil {
		return err
	}
	srv, err := taxii.New(taxii.Config{
		ExternalURL: "http://bench.invalid", Title: "bench", DefaultAPIRoot: "bench",
		APIRoots: []taxii.APIRoot{{Path: "bench", Title: "bench", MaxContentLength: 10 << 20,
			Collections: []taxii.Collection{{Collection: storage.Collection{ID: benchCollection, Title: "Bench"}}}}},
		Users:        []taxii.User{{Name: "bench", PasswordHash: string(hash), Permissions: map[string]taxii.Permission{benchCollection: {Read: true}}}},
		DefaultLimit: 1000, MaxLimit: 1000, PagingKey: store.PagingKey(), NextMaxAge: time.Hour,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, store)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	url := "http://" + ln.Addr().String() + "/bench/collections/" + benchCollection + "/"
	return benchLoadRows(ctx, rep, url, e)
}

// benchLoadRows runs loadtest against the served store.
func benchLoadRows(ctx context.Context, rep *benchReport, url string, e env) error {
	o := rep.opts
	base := loadtest.Config{Collection: url, User: "bench", Password: "bench-password", Limit: 1000, Duration: o.duration, Clients: 1}
	walk := base
	walk.Mode, walk.Duration = loadtest.Walk, 10*time.Minute
	walk.Requests = int64(rep.store.versions/1000 + 2) // one walk: every version, in pages of 1000
	deep := base
	deep.Filters = "added_after=" + rep.store.middle.Format(time.RFC3339Nano)
	many := base
	many.Clients = o.clients
	rare := base
	rare.Filters = "match[type]=" + rep.store.rareType
	for _, r := range []struct {
		name string
		cfg  loadtest.Config
		into *loadtest.Report
	}{{"walk", walk, &rep.walk}, {"first page", base, &rep.first}, {"deep page", deep, &rep.deep},
		{"many clients", many, &rep.many}, {"rare type", rare, &rep.rare}} {
		fmt.Fprintf(e.stderr, "load: %s...\n", r.name)
		stop := sampleMemory(&rep.heapPeak, r.name == "many clients")
		stopProfile, err := profileRow(o.profile, r.name)
		if err != nil {
			return err
		}
		res, err := loadtest.Run(ctx, r.cfg)
		stopProfile()
		stop()
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		*r.into = res
	}
	return nil
}

// profileRow starts a CPU profile of one row into dir/<row>.pprof, when
// dir is set; the returned function stops it.
func profileRow(dir, row string) (stop func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	f, err := os.Create(filepath.Join(dir, strings.NewReplacer(" ", "-", "/", "-").Replace(row)+".pprof"))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// benchExport times an export of the latest versions, with the peak of
// anonymous memory (the store's pages are file-backed: not counted).
func benchExport(ctx context.Context, rep *benchReport, store *boltstore.Store) error {
	var peak int64
	stop := sampleRSSAnon(&peak)
	start := time.Now()
	err := writeExport(ctx, env{stdout: io.Discard, stderr: io.Discard}, store,
		storage.Query{Collection: benchCollection, Versions: storage.Versions{Last: true}}, "-")
	rep.exportTime = time.Since(start)
	stop()
	rep.exportRSSAnon = peak
	return err
}

// sampleMemory records the Go heap's peak while a run lasts, if on.
func sampleMemory(peak *int64, on bool) (stop func()) {
	return sampler(on, func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		*peak = max(*peak, int64(m.HeapInuse))
	})
}

// sampleRSSAnon records the peak of the process's anonymous memory (Linux).
func sampleRSSAnon(peak *int64) (stop func()) {
	return sampler(true, func() { *peak = max(*peak, measure.AnonymousMemory()) })
}

// sampler calls f every 20 ms until stop, which waits for the sampler.
func sampler(on bool, f func()) (stop func()) {
	if !on {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			f()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
