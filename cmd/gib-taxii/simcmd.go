package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
)

func runSim(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "sim", "[--listen ADDR] [--seed N] [--epoch T] [--items N] [--drift F] [--fault-rate F] [--tick D --events N]")
	listen := fs.String("listen", "127.0.0.1:8081", "address to serve the simulated Group-IB API on")
	seed := fs.Uint64("seed", 1, "seed of the generated items")
	epoch := fs.String("epoch", "", "fix the simulated timeline at this RFC 3339 time (e.g. 2026-01-01T00:00:00Z), so that the "+
		"same seed serves the same items and cursors whenever the simulator starts; client dates are then ignored "+
		"(every date asks for the whole feed) and events are stamped at the epoch: add --events 0 for a feed that never changes")
	items := fs.Int("items", 100, "items each collection starts with")
	drift := fs.Float64("drift", 0.1, "probability of the API's alternative field shapes (0-1)")
	faultRate := fs.Float64("fault-rate", 0, "probability of a transient fault (429, 5xx, slow, reset, truncated) per request")
	tick := fs.Duration("tick", 10*time.Second, "how often new events are published")
	events := fs.Int("events", 5, "events (updates and new items) per collection per tick")
	username := fs.String("username", "user@example.com", "accepted username")
	apiKey := fs.String("api-key", "api-key", "accepted API key")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *items < 0 || *drift < 0 || *drift > 1 || *faultRate < 0 || *faultRate > 1 || *tick <= 0 || *events < 0 {
		return errors.New("sim: items and events must be >= 0, drift and fault-rate between 0 and 1, tick positive")
	}
	var at time.Time
	if *epoch != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, *epoch); err != nil {
			return fmt.Errorf("sim: --epoch: %w", err)
		}
	}
	sim := gibsim.New(gibsim.Config{Seed: *seed, Epoch: at, Items: *items, Drift: *drift, FaultRate: *faultRate,
		Username: *username, APIKey: *apiKey})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	fmt.Fprintf(e.stdout, "Group-IB API simulator on http://%s/api/v2/ (user %s, API key %s), %d collections\n",
		ln.Addr(), *username, *apiKey, len(sim.Collections()))
	return serveSim(ctx, sim, ln, *tick, *events)
}

// serveSim serves the simulator and publishes events until ctx ends.
func serveSim(ctx context.Context, sim *gibsim.Simulator, ln net.Listener, tick time.Duration, events int) error {
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = sim.Run(runCtx, tick, events) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sim: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
