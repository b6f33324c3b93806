package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/ops"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/storage/pgstore"
	"github.com/gib-taxii/gib-taxii/taxii"
)

// The store must satisfy what the TAXII server reads.
var _ taxii.Store = (*boltstore.Store)(nil)

// The store must also satisfy what ingest writes.
var _ ingest.Store = (*boltstore.Store)(nil)

// app is the running server: the store, the Group-IB ingest loops writing
// into it, and the TAXII API reading from it.
type app struct {
	cfg   Config
	log   *slog.Logger
	store servedStore
	// fence is ingest's view of a PostgreSQL store: commits only while
	// this process holds the ingest lease (nil for bbolt).
	fence    *leaderFence
	runner   *ingest.Runner // nil when no Group-IB collection is enabled
	metrics  *ops.Metrics
	http     *http.Server
	listener net.Listener
	// ops serves /readyz details and /metrics; nil when ops.listen is off.
	ops         *http.Server
	opsListener net.Listener
}

// openApp opens the store and binds the listener; Run serves until the
// context ends. Close releases what openApp took, in reverse order.
func openApp(cfg Config, log *slog.Logger) (*app, error) {
	engine, err := loadCheckedMappings(cfg)
	if err != nil {
		return nil, err
	}
	store, err := openStore(&cfg, log)
	if err != nil {
		return nil, err
	}
	// Nothing writes (TAXII clients included) until the start-up page
	// check has passed; reads are served meanwhile.
	if bs, ok := store.(*boltstore.Store); ok {
		bs.HoldWrites()
	}
	a := &app{cfg: cfg, log: log, store: store, metrics: ops.NewMetrics(cfg.Storage.Path)}
	tc := cfg.taxiiConfig(store.PagingKey(), log.With("component", "taxii"))
	tc.Metrics = a.metrics
	client, err := a.groupIB(engine, &tc)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	srv, err := taxii.New(tc, store)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("taxii server: %w", err)
	}
	var ingestStore ingest.Store = store
	if pg, ok := store.(*pgstore.Store); ok {
		a.fence = &leaderFence{store: pg}
		ingestStore = a.fence
	}
	if a.runner, err = newRunner(cfg, client, engine, ingestStore, log, a.metrics); err != nil {
		_ = store.Close()
		return nil, err
	}
	a.metrics.Watch(func() bool { return store.Fault() != nil }, a.ingestErrors)
	if a.fence != nil {
		a.metrics.WatchLeader(a.fence.leading)
	}
	a.http = a.newHTTPServer(a.routes(srv.Handler()), cfg.TAXII.MaxHeaderBytes)
	if a.listener, err = a.listen(); err != nil {
		_ = store.Close()
		return nil, err
	}
	if err := a.listenOps(); err != nil {
		_ = a.listener.Close()
		_ = store.Close()
		return nil, err
	}
	return a, nil
}

// groupIB builds the one Group-IB client of ingest and lookups (its rate
// limiter and its 429 pause are the credential's, whoever asks) and the
// lookup service of the TAXII server; nil without credentials.
func (a *app) groupIB(engine *mapping.Engine, tc *taxii.Config) (*ingest.Client, error) {
	if !a.cfg.GroupIB.hasCredentials() {
		return nil, nil
	}
	client, err := groupIBClient(a.cfg, a.log)
	if err != nil {
		return nil, err
	}
	svc, err := newLookupService(a.cfg, client, engine, 0)
	if err != nil {
		return nil, err
	}
	tc.Lookup = svc
	a.metrics.WatchLookups(func() ops.LookupStats {
		st := svc.Stats()
		return ops.LookupStats{Lookups: st.Lookups, CacheHits: st.CacheHits, Upstream: st.Upstream, Items: st.Items,
			UpstreamSeconds: st.UpstreamTime.Seconds()}
	})
	return client, nil
}

// newHTTPServer applies the timeouts that keep slow or silent clients
// from holding connections: the header, the whole request (body
// included), the response and the idle keep-alive each have a bound.
func (a *app) newHTTPServer(h http.Handler, maxHeaderBytes int) *http.Server {
	t := a.cfg.TAXII.Timeouts
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// routes answers /healthz and a bare /readyz beside the TAXII API; both
// need no credentials and say nothing but the status. Every request body
// is capped at max_content_length. Paths go to the TAXII handler as they
// came: a ServeMux would answer ".." and "//" with an HTML redirect.
func (a *app) routes(taxiiHandler http.Handler) http.Handler {
	readyz := ops.ReadyzBare(a.readiness)
	limit := int64(a.cfg.TAXII.MaxContentLength)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		switch r.URL.Path {
		case "/healthz", "/healthz/":
			ops.Healthz(w, r)
		case "/readyz", "/readyz/":
			readyz(w, r)
		default:
			taxiiHandler.ServeHTTP(w, r)
		}
	})
}

// opsRoutes are the operations endpoints with their details.
func (a *app) opsRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", ops.Healthz)
	mux.Handle("/readyz", ops.Readyz(a.readiness, a.ingestRole))
	mux.Handle("/metrics", a.metrics.Handler())
	mux.HandleFunc("/collections", a.handleCollections)
	return mux
}

// servedCollection is one TAXII collection as the operations listener
// lists it, so that status can print ids generated into a store that
// serve holds locked.
type servedCollection struct {
	Title string `json:"title"`
	ID    string `json:"id"`
	URL   string `json:"url"`
}

func (a *app) handleCollections(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(servedCollections(a.cfg))
}

func servedCollections(cfg Config) []servedCollection {
	var out []servedCollection
	for _, r := range cfg.TAXII.APIRoots {
		for _, c := range r.Collections {
			out = append(out, servedCollection{Title: c.Title, ID: c.ID,
				URL: fmt.Sprintf("%s/%s/collections/%s/", cfg.TAXII.ExternalURL, r.Path, c.ID)})
		}
	}
	return out
}

// readiness fails when the store is damaged or does not answer, and
// reports each enabled Group-IB collection's ingest health: as the running
// loops hold it in memory (which sees failures the store could not
// record), else as last stored.
func (a *app) readiness(ctx context.Context) (map[string]ops.CollectionHealth, error) {
	if err := a.store.Fault(); err != nil {
		return nil, err
	}
	if _, err := a.store.Cursor(ctx, "readyz"); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if p, ok := a.store.(interface{ Ping(context.Context) error }); ok {
		if err := p.Ping(ctx); err != nil { // a read replica that stopped answering fails every page
			return nil, err
		}
	}
	live := map[string]ingest.State{}
	if a.runner != nil && (a.fence == nil || a.fence.leading()) {
		// A replica that does not lead reports the leader's progress, as
		// stored, not what its own loops held when it last led.
		live = a.runner.Health()
	}
	out := map[string]ops.CollectionHealth{}
	for _, c := range a.cfg.ingestCollections() {
		st, ok := live[c.Name]
		if !ok {
			var err error
			if st, err = ingest.LoadState(ctx, a.store, c.Name); err != nil {
				return nil, err
			}
		}
		out[c.Name] = collectionHealth(st, staleAfter(c.PollInterval), time.Now())
	}
	return out, nil
}

// ingestErrors is each collection's failures in a row, for metrics.
func (a *app) ingestErrors() map[string]int {
	out := map[string]int{}
	if a.runner != nil {
		for name, st := range a.runner.Health() {
			out[name] = st.ConsecutiveErrors
		}
	}
	return out
}

// staleAfter is how long a collection may go without a successful pass
// before it counts as degraded: a hung loop must show.
func staleAfter(poll time.Duration) time.Duration {
	if poll <= 0 {
		poll = 5 * time.Minute
	}
	return max(3*poll, time.Hour)
}

// collectionHealth is degraded when the collection is stopped by an access
// problem, cannot write to the store (at once: nothing is ingested while
// it lasts), has failed three passes in a row (or every pass so far), or
// has not succeeded for too long.
func collectionHealth(st ingest.State, stale time.Duration, now time.Time) ops.CollectionHealth {
	h := ops.CollectionHealth{Status: "ok", LastSuccess: st.LastSuccess, Queued: st.Queued, Errors: st.ConsecutiveErrors}
	switch {
	case st.Stopped != "":
		h.Status, h.Reason = "degraded", st.Stopped
	case st.ConsecutiveErrors > 0 && st.LastErrorStore:
		h.Status, h.Reason = "degraded", st.LastError
	case st.ConsecutiveErrors >= 3, st.LastSuccess.IsZero() && st.ConsecutiveErrors > 0:
		h.Status, h.Reason = "degraded", st.LastError
	case st.LastSuccess.IsZero():
		h.Status = "starting"
	case now.Sub(st.LastSuccess) > stale:
		h.Status, h.Reason = "degraded", "no successful pass since "+st.LastSuccess.UTC().Format(time.RFC3339)
	}
	h.Reason = clip(h.Reason, 300)
	return h
}

func (a *app) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.cfg.TAXII.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a.cfg.TAXII.Listen, err)
	}
	tc := a.cfg.TAXII.TLS
	limited := newLimitListener(ln, a.cfg.TAXII.MaxConnections, tc.CertFile == "", a.metrics.ConnectionRefused)
	if tc.CertFile == "" {
		return limited, nil
	}
	cert, err := tls.LoadX509KeyPair(tc.CertFile, tc.KeyFile)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("taxii.tls: %w", err)
	}
	return tls.NewListener(limited, serverTLSConfig(cert)), nil
}

// listenOps binds the operations listener, unless it is off.
func (a *app) listenOps() error {
	if a.cfg.Ops.Listen == "off" {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.Ops.Listen)
	if err != nil {
		return fmt.Errorf("ops.listen %s: %w", a.cfg.Ops.Listen, err)
	}
	a.opsListener = newLimitListener(ln, 16, true, nil)
	a.ops = a.newHTTPServer(a.opsRoutes(), 8<<10)
	return nil
}

// serverTLSConfig allows TLS 1.2 with AEAD suites only and TLS 1.3
// (checklist items 2-4); Go never accepts 0-RTT (item 3).
func serverTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
}

// Addr is the address the server listens on (useful with port 0).
func (a *app) Addr() string { return a.listener.Addr().String() }

// OpsAddr is the operations listener's address, or "" when it is off.
func (a *app) OpsAddr() string {
	if a.opsListener == nil {
		return ""
	}
	return a.opsListener.Addr().String()
}

// Run serves TAXII (and the operations endpoints) and polls Group-IB
// until ctx ends. Ingest starts, and TAXII writes are taken, once bbolt's
// page check has passed: a damaged file keeps being served for what can
// still be read, with /readyz at 503, but is never written. On shutdown the ingest loops stop
// first (a page in flight is either committed or not at all), then HTTP
// requests drain for at most the configured shutdown time.
func (a *app) Run(ctx context.Context) error {
	ingestCtx, stopIngest := context.WithCancel(ctx)
	defer stopIngest()
	errc := make(chan error, 2)
	go func() { errc <- a.http.Serve(a.listener) }()
	if a.ops != nil {
		go func() { errc <- a.ops.Serve(a.opsListener) }()
	}
	a.log.Info("taxii server listening", "addr", a.Addr(), "discovery", a.cfg.TAXII.ExternalURL+"/taxii2/", "ops_addr", a.OpsAddr())
	var loops sync.WaitGroup
	loops.Go(func() {
		if !a.startupCheck(ingestCtx) {
			return
		}
		switch {
		case a.runner != nil && a.fence != nil:
			loops.Go(func() { a.leadIngest(ingestCtx) })
		case a.runner != nil:
			loops.Go(func() { _ = a.runner.Run(ingestCtx) })
		}
		if a.cfg.Storage.Backup.Dir != "" {
			loops.Go(func() { a.runBackups(ingestCtx) })
		}
		loops.Go(func() { a.pruneStatuses(ingestCtx) })
	})
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	stopIngest()
	loops.Wait()
	drainErr := a.drain() // both servers, whichever stopped first
	if serveErr != nil {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return drainErr
}

// pruneStatuses removes expired Add Objects statuses every hour, so that
// they go even when no more objects are posted.
func (a *app) pruneStatuses(ctx context.Context) {
	every(ctx, time.Hour, func() {
		if err := a.store.PruneReceipts(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("could not remove expired statuses", "error", err.Error())
		}
	})
}

// startupCheck runs the page check (about 1.5 s for a million
// objects; the full check is "gib-taxii check") before anything writes.
func (a *app) startupCheck(ctx context.Context) bool {
	rep, checked, err := pageCheck(ctx, a.store)
	if !checked {
		return true // PostgreSQL: its server owns its pages
	}
	if err != nil {
		a.log.Error("store check could not run", "error", err.Error())
		return ctx.Err() == nil
	}
	if !rep.OK() {
		a.log.Error("the store file is damaged: ingest and backups stay off, /readyz answers 503",
			"error", a.store.Fault().Error(), "problems", rep.Total)
		return false
	}
	a.log.Info("store checked", "duration", rep.Duration.Round(time.Millisecond))
	return true
}

// drain shuts both HTTP servers down, cutting requests still running
// after the shutdown time.
func (a *app) drain() error {
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.TAXII.Timeouts.Shutdown)
	defer cancel()
	if a.ops != nil {
		if err := a.ops.Shutdown(sctx); err != nil {
			_ = a.ops.Close()
		}
	}
	if err := a.http.Shutdown(sctx); err != nil {
		_ = a.http.Close()
		return fmt.Errorf("drain http: %w", err)
	}
	return nil
}

// Close closes the store; call it after Run returns. It is idempotent.
func (a *app) Close() error { return a.store.Close() }
