package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	gibtaxii "github.com/gib-taxii/gib-taxii"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage/pgstore"
)

// newRunner builds the ingest loops of the enabled Group-IB collections,
// or returns nil when there are none.
// metrics may be nil.
func newRunner(cfg Config, client *ingest.Client, engine *mapping.Engine, store ingest.Store, log *slog.Logger, metrics ingest.Metrics) (*ingest.Runner, error) {
	collections := cfg.ingestCollections()
	if len(collections) == 0 {
		return nil, nil
	}
	if client == nil {
		return nil, errors.New("group-ib collections to poll, but no credentials (groupib.username and api_key)")
	}
	return ingest.NewRunner(ingest.RunnerConfig{
		Client: client, Store: store, Mapper: engine, Collections: collections,
		Logger: log.With("component", "ingest"), Metrics: metrics,
	}), nil
}

func runIngest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "ingest", "--config FILE --once")
	configPath := fs.String("config", "", "YAML config file (required)")
	once := fs.Bool("once", false, "one pass over every enabled collection, then exit (required: use serve to keep polling)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *configPath == "" || !*once {
		fs.Usage()
		return errors.New("ingest: --config and --once are required")
	}
	cfg, err := loadConfig(*configPath, e.getenv)
	if err != nil {
		return err
	}
	if err := cfg.pollCredentials(); err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.Log)
	engine, err := loadCheckedMappings(cfg)
	if err != nil {
		return err
	}
	store, err := openStore(&cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	client, err := groupIBClient(cfg, log)
	if err != nil {
		return err
	}
	var ingestStore ingest.Store = store
	if pg, ok := store.(*pgstore.Store); ok {
		// Replicas may be serving this database: ingest only as the leader.
		lease, err := pg.TryLease(ctx)
		if err != nil {
			return fmt.Errorf("ingest: the ingest lease: %w", err)
		}
		if lease == nil {
			return errors.New("ingest: another gib-taxii holds the ingest lease of this database (a serve replica ingests it)")
		}
		defer lease.Release()
		fence := &leaderFence{store: pg}
		fence.lease.Store(lease)
		ingestStore = fence
	}
	runner, err := newRunner(cfg, client, engine, ingestStore, log, nil)
	if err != nil {
		return err
	}
	if runner == nil {
		return errors.New("ingest: no collection is enabled under groupib.collections")
	}
	if err := runner.RunOnce(ctx); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	return printStatus(ctx, e, cfg, store)
}

// loadCheckedMappings loads the configured mapping and refuses a
// configuration that asks it for what it cannot make.
func loadCheckedMappings(cfg Config) (*mapping.Engine, error) {
	engine, err := loadMappings(cfg.Mappings.Path)
	if err != nil {
		return nil, err
	}
	return engine, cfg.checkMapping(engine)
}

// loadMappings compiles the mapping file, or the embedded one when path is
// empty. Problems name the file and line.
func loadMappings(path string) (*mapping.Engine, error) {
	if path == "" {
		return mapping.Parse("mappings.yaml (embedded)", gibtaxii.DefaultMappings(), mapping.Options{})
	}
	return mapping.Load(path, mapping.Options{})
}
