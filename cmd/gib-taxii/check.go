package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
)

// runCheck verifies a store file offline: bbolt's page check, the store's
// invariants, every object's body (unless --quick) and every configured
// Group-IB collection's ingest state. It exits non-zero on any problem.
func runCheck(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "check", "--config FILE [--quick]")
	configPath := fs.String("config", "", "YAML config file (required)")
	quick := fs.Bool("quick", false, "skip parsing every stored object (pages and indexes are still checked)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *configPath == "" {
		fs.Usage()
		return errors.New("check: --config is required")
	}
	cfg, err := loadConfig(*configPath, e.getenv)
	if err != nil {
		return err
	}
	if cfg.Storage.Postgres.URL != "" {
		return errors.New("check: checks the bbolt file; with storage.postgres, PostgreSQL checks its own data (amcheck, pg_checksums)")
	}
	store, err := boltstore.Open(cfg.Storage.Path, boltstore.Options{Logger: newLogger(e.stderr, cfg.Log).With("component", "store")})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer store.Close()
	rep, err := store.Check(ctx, boltstore.CheckOptions{Objects: !*quick})
	if err != nil {
		return err
	}
	for _, c := range cfg.ingestCollections() {
		if _, err := ingest.LoadState(ctx, store, c.Name); err != nil {
			rep.Add("ingest state: %v", err)
		}
	}
	fmt.Fprintf(e.stdout, "store %s: %d object versions in %d collections, checked in %s\n",
		cfg.Storage.Path, rep.Versions, rep.Collections, rep.Duration.Round(1e6))
	if rep.OK() {
		fmt.Fprintln(e.stdout, "ok")
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(e.stdout, "  "+p)
	}
	if rep.Total > len(rep.Problems) {
		fmt.Fprintf(e.stdout, "  ... and %d more\n", rep.Total-len(rep.Problems))
	}
	if err := store.Fault(); err != nil {
		return fmt.Errorf("check: %d problems: %w", rep.Total, err)
	}
	return fmt.Errorf("check: %d problems", rep.Total)
}
