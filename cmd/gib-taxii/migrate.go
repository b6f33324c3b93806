package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/storage/pgstore"
)

// runMigrate copies the bbolt store at storage.path into the PostgreSQL
// database at storage.postgres.url: every version with its date_added,
// the cursors, receipts, collection ids and the paging key, so that
// clients' next tokens and bookmarks stay valid. The database must hold
// no objects yet; serve must be stopped (it holds the file).
func runMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "migrate", "--config FILE --to postgres")
	configPath := fs.String("config", "", "YAML config file (required): storage.path is read, storage.postgres.url written")
	to := fs.String("to", "", "the backend to move to: postgres")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *configPath == "" || *to != "postgres" {
		fs.Usage()
		return errors.New("migrate: --config and --to postgres are required")
	}
	cfg, err := loadConfig(*configPath, e.getenv)
	if err != nil {
		return err
	}
	if cfg.Storage.Path == "" || cfg.Storage.Postgres.URL == "" {
		return errors.New("migrate: the config needs both storage.path (the bbolt file to read) and storage.postgres.url (the database to fill)")
	}
	src, err := boltstore.Open(cfg.Storage.Path, boltstore.Options{Logger: newLogger(e.stderr, cfg.Log).With("component", "store")})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer src.Close()
	// A damaged file would be copied with its holes: check its pages first.
	if rep, err := src.Check(ctx, boltstore.CheckOptions{SkipInvariants: true}); err != nil || !rep.OK() {
		return fmt.Errorf("migrate: the bbolt file failed its page check (%d problems): %w", rep.Total, errors.Join(err, src.Fault()))
	}
	dst, err := pgstore.Open(ctx, cfg.Storage.Postgres.URL, pgstore.Options{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer dst.Close()
	im, err := dst.Import(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := src.Export(ctx, importer{ctx: ctx, im: im}); err != nil {
		im.Rollback(ctx)
		return fmt.Errorf("migrate: %w", err)
	}
	if err := im.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(e.stderr, "migrated %d object versions from %s to PostgreSQL\n", im.Records, cfg.Storage.Path)
	return nil
}

// importer is the PostgreSQL import as the bbolt export's receiver.
type importer struct {
	ctx context.Context
	im  *pgstore.Importer
}

func (i importer) Record(c string, r storage.Record, first, last bool) error {
	return i.im.Record(i.ctx, c, r, first, last)
}
func (i importer) LastAdded(c string, p storage.Position) error { return i.im.LastAdded(i.ctx, c, p) }
func (i importer) Cursor(s string, state []byte) error          { return i.im.Cursor(i.ctx, s, state) }
func (i importer) Receipt(r storage.Receipt) error              { return i.im.Receipt(i.ctx, r) }
func (i importer) CollectionID(k, id string) error              { return i.im.CollectionID(i.ctx, k, id) }
func (i importer) PagingKey(key []byte) error                   { return i.im.PagingKey(i.ctx, key) }
