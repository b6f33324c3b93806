package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/ops"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/taxii"
)

// The store must satisfy what the TAXII server reads.
var _ taxii.Store = (*boltstore.Store)(nil)

// The store must also satisfy what ingest writes.
var _ ingest.Store = (*boltstore.Store)(nil)

// app is the running server: the store, the Group-IB ingest loops writing
// into it, and the TAXII API reading from it.
type app struct {
	cfg      Config
	log      *slog.Logger
	store    *boltstore.Store
	runner   *ingest.Runner // nil when no Group-IB collection is enabled
	http     *http.Server
	listener net.Listener
}

// openApp opens the store and binds the listener; Run serves until the
// context ends. Close releases what openApp took, in reverse order.
func openApp(cfg Config, log *slog.Logger) (*app, error) {
	store, err := openStore(&cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: store}
	metrics := ops.NewMetrics(cfg.Storage.Path)
	tc := cfg.taxiiConfig(store.PagingKey(), log.With("component", "taxii"))
	tc.Metrics = metrics
	srv, err := taxii.New(tc, store)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("taxii server: %w", err)
	}
	if a.runner, err = newRunner(cfg, store, log, metrics); err != nil {
		_ = store.Close()
		return nil, err
	}
	t := cfg.TAXII.Timeouts
	a.http = &http.Server{
		Handler:           a.routes(srv.Handler(), metrics),
		ReadHeaderTimeout: t.ReadHeader,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if a.listener, err = a.listen(); err != nil {
		_ = store.Close()
		return nil, err
	}
	return a, nil
}

// routes puts the operations endpoints beside the TAXII API: they live
// outside any API root and need no credentials.
func (a *app) routes(taxiiHandler http.Handler, metrics *ops.Metrics) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/healthz", "/healthz/"} {
		mux.HandleFunc(p, ops.Healthz)
	}
	for _, p := range []string{"/readyz", "/readyz/"} {
		mux.Handle(p, ops.Readyz(a.readiness))
	}
	mux.Handle("/metrics", metrics.Handler())
	mux.Handle("/", taxiiHandler)
	return mux
}

// readiness checks that the store answers and reports each enabled
// Group-IB collection's ingest health from its state.
func (a *app) readiness(ctx context.Context) (map[string]ops.CollectionHealth, error) {
	if _, err := a.store.Cursor(ctx, "readyz"); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	out := map[string]ops.CollectionHealth{}
	for _, c := range a.cfg.ingestCollections() {
		st, err := ingest.LoadState(ctx, a.store, c.Name)
		if err != nil {
			return nil, err
		}
		out[c.Name] = collectionHealth(st, staleAfter(c.PollInterval), time.Now())
	}
	return out, nil
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
// problem, has failed three passes in a row (or every pass so far), or has
// not succeeded for too long.
func collectionHealth(st ingest.State, stale time.Duration, now time.Time) ops.CollectionHealth {
	h := ops.CollectionHealth{Status: "ok", LastSuccess: st.LastSuccess, Queued: st.Queued, Errors: st.ConsecutiveErrors}
	switch {
	case st.Stopped != "":
		h.Status, h.Reason = "degraded", st.Stopped
	case st.ConsecutiveErrors >= 3, st.LastSuccess.IsZero() && st.ConsecutiveErrors > 0:
		h.Status, h.Reason = "degraded", st.LastError
	case st.LastSuccess.IsZero():
		h.Status = "starting"
	case now.Sub(st.LastSuccess) > stale:
		h.Status, h.Reason = "degraded", "no successful pass since "+st.LastSuccess.UTC().Format(time.RFC3339)
	}
	if len(h.Reason) > 300 { // an unauthenticated endpoint: a summary is enough
		h.Reason = h.Reason[:300] + "..."
	}
	return h
}

// openStore opens the configured store file and fills in the ids of
// collections configured without one: generated once, kept in the store.
func openStore(cfg *Config) (*boltstore.Store, error) {
	store, err := boltstore.Open(cfg.Storage.Path, boltstore.Options{MaxLimit: cfg.TAXII.PageSize.Max})
	if err != nil {
		return nil, err
	}
	for i := range cfg.TAXII.APIRoots {
		r := &cfg.TAXII.APIRoots[i]
		for j := range r.Collections {
			c := &r.Collections[j]
			if c.ID != "" {
				continue
			}
			name := c.Alias
			if name == "" {
				name = c.Title
			}
			if c.ID, err = store.CollectionID(context.Background(), r.Path+"/"+name); err != nil {
				_ = store.Close()
				return nil, err
			}
		}
	}
	return store, nil
}

func (a *app) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.cfg.TAXII.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a.cfg.TAXII.Listen, err)
	}
	tc := a.cfg.TAXII.TLS
	if tc.CertFile == "" {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(tc.CertFile, tc.KeyFile)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("taxii.tls: %w", err)
	}
	return tls.NewListener(ln, serverTLSConfig(cert)), nil
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

// Run polls Group-IB and serves TAXII until ctx ends; then it stops the
// ingest loops first (a page in flight is either committed or not at all),
// and drains HTTP requests for at most the configured shutdown time.
func (a *app) Run(ctx context.Context) error {
	ingestCtx, stopIngest := context.WithCancel(ctx)
	defer stopIngest()
	var loops sync.WaitGroup
	if a.runner != nil {
		loops.Go(func() { _ = a.runner.Run(ingestCtx) })
	}
	if a.cfg.Storage.Backup.Dir != "" {
		loops.Go(func() { a.runBackups(ingestCtx) })
	}
	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(a.listener) }()
	a.log.Info("taxii server listening", "addr", a.Addr(), "discovery", a.cfg.TAXII.ExternalURL+"/taxii2/")
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	stopIngest()
	loops.Wait()
	if serveErr != nil {
		return fmt.Errorf("serve: %w", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.TAXII.Timeouts.Shutdown)
	defer cancel()
	if err := a.http.Shutdown(sctx); err != nil {
		_ = a.http.Close() // requests still running after the drain time are cut
		return fmt.Errorf("drain http: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the store; call it after Run returns. It is idempotent.
func (a *app) Close() error { return a.store.Close() }
