package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"golang.org/x/crypto/bcrypt"
)

// Demo collections: indicators for SIEMs, and the whole graph for TIPs.
const (
	demoIndicators = "4f6b2c1d-8e3a-4b5c-9d7e-0a1b2c3d4e5f"
	demoIntel      = "7c9d0e1f-2a3b-4c5d-8e6f-a0b1c2d3e4f5"
	demoUser       = "demo"
)

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "demo", "[--listen ADDR] [--data DIR]")
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve TAXII on")
	data := fs.String("data", "", "directory for the store (default: a temporary directory, removed on exit)")
	items := fs.Int("items", 30, "simulated items each Group-IB collection starts with")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gib-taxii-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := claimDemoStore(ctx, dir); err != nil {
		return err
	}
	// Warnings only: the demo's banner says what runs; pages and requests
	// would scroll it away.
	log := newLogger(e.stderr, logConfig{Level: "warn", Format: "text"})
	sim := gibsim.New(gibsim.Config{Seed: 1, Items: *items, Drift: 0.1})
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan error, 1)
	go func() { simDone <- serveSim(simCtx, sim, simLn, 10*time.Second, 3) }()
	defer func() { stopSim(); <-simDone }()

	password := rand.Text()
	cfg, err := demoConfig(*listen, filepath.Join(dir, "gib-taxii.db"), password, "http://"+simLn.Addr().String()+"/api/v2/", sim.Collections())
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log.With("component", "demo"), func(a *app) { printDemo(e, a, password) })
}

func printDemo(e env, a *app, password string) {
	base := "http://" + a.Addr()
	fmt.Fprintf(e.stdout, `gib-taxii demo: simulated Group-IB intelligence as STIX 2.1 over TAXII 2.1 (Ctrl-C to stop)

  discovery   %[1]s/taxii2/
  API root    %[1]s/gib/
  user        %[2]s
  password    %[3]s
  collections %[4]s (alias indicators): indicators for SIEMs
              %[5]s (alias intel): the whole graph for TIPs
  operations  http://%[6]s/readyz and /metrics

The built-in Group-IB API simulator feeds it; new items arrive every 10 seconds.

  curl -u '%[2]s:%[3]s' -H 'Accept: application/taxii+json;version=2.1' '%[1]s/gib/collections/indicators/objects/?limit=5'

`, base, demoUser, password, demoIndicators, demoIntel, a.OpsAddr())
}

// siemTypes are what a SIEM collection holds: indicators, the objects
// their relationships point to and the relationships themselves, so that
// no reference dangles; reports and notes stay in the graph collections.
var siemTypes = []string{"indicator", "relationship", "malware", "intrusion-set", "threat-actor", "infrastructure",
	"attack-pattern", "vulnerability", "location", "identity", "marking-definition",
	"ipv4-addr", "ipv6-addr", "domain-name", "url", "file", "email-addr"}

// siemSources leaves the suspicious_ip collections out of a SIEM's feed:
// they are context (anonymizers, scanners), not indicators to alert on.
func siemSources(collections []string) []string {
	var out []string
	for _, c := range collections {
		if !strings.HasPrefix(c, "suspicious_ip/") {
			out = append(out, c)
		}
	}
	return out
}

// demoConfig polls every simulated collection into two TAXII collections.
func demoConfig(listen, storePath, password, simURL string, collections []string) (Config, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Config{}, err
	}
	cfg := defaultConfig()
	cfg.Storage.Path = storePath
	cfg.TAXII.Listen = listen
	cfg.TAXII.Title = "gib-taxii demo"
	cfg.TAXII.DefaultAPIRoot = "gib"
	cfg.TAXII.APIRoots = []apiRootConfig{{
		Path: "gib", Title: "Group-IB Threat Intelligence (simulated)",
		Collections: []collectionConfig{
			{ID: demoIndicators, Alias: "indicators", Title: "Indicators", Sources: siemSources(collections),
				Types:       siemTypes,
				Description: "Indicators for SIEMs, with what they indicate, their observables and relationships"},
			{ID: demoIntel, Alias: "intel", Title: "Intelligence graph", Sources: collections,
				Description: "Every object and relationship, for TIPs"},
		},
	}}
	cfg.Users = []userConfig{{Name: demoUser, PasswordHash: string(hash), Permissions: map[string]string{"*": "read"}}}
	cfg.GroupIB.URL, cfg.GroupIB.Username, cfg.GroupIB.APIKey = simURL, "user@example.com", "api-key"
	cfg.GroupIB.RateLimit, cfg.GroupIB.Burst = 50, 10
	cfg.GroupIB.Collections = map[string]gibCollectionConfig{}
	for _, c := range collections {
		cfg.GroupIB.Collections[c] = gibCollectionConfig{Lookback: 45 * 24 * time.Hour, PollInterval: 10 * time.Second}
	}
	cfg.Log = logConfig{Level: "info", Format: "text"}
	cfg.Ops.Listen = "127.0.0.1:0" // printed at start: a fixed port could be taken
	return cfg, cfg.validate()
}

// demoMarker is the cursor key that marks a store as the demo's own.
const demoMarker = "gib-taxii:demo"

// claimDemoStore creates dir if needed and makes sure its store is the
// demo's: a store made by serve (say --data pointed at /var/lib/gib-taxii)
// must not get the demo's collections and simulated ingest state.
func claimDemoStore(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo --data: %w", err)
	}
	path := filepath.Join(dir, "gib-taxii.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return newDemoStore(ctx, path)
	}
	store, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		return fmt.Errorf("demo --data: %w", err)
	}
	defer store.Close()
	_, err = store.Cursor(ctx, demoMarker)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("demo --data: %s holds a store the demo did not make (a serve store?): the demo would rewrite its ingest state; use another directory", path)
	case err != nil:
		return fmt.Errorf("demo --data: %w", err)
	}
	return nil
}

// newDemoStore makes a store with the demo's marker under a temporary
// name and then renames it into place: a demo killed half-way leaves no
// unmarked store that it would refuse next time.
func newDemoStore(ctx context.Context, path string) error {
	tmp := path + ".new"
	_ = os.Remove(tmp)
	store, err := boltstore.Open(tmp, boltstore.Options{})
	if err != nil {
		return fmt.Errorf("demo --data: %w", err)
	}
	_, err = store.Commit(ctx, storage.Batch{Cursor: &storage.Cursor{Source: demoMarker, State: []byte(`{"demo":true}`)}})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("demo --data: %w", err)
	}
	return os.Rename(tmp, path)
}
