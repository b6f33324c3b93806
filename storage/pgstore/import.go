package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// importBatch is how many rows the importer sends per COPY.
const importBatch = 5000

// Importer fills an empty database with a whole store moved from another
// backend, in one transaction: every date_added, flag, cursor, receipt,
// collection id and the paging key as they were, so that clients' next
// tokens and added_after bookmarks stay valid. Commit ends it; until
// then, nothing is visible.
type Importer struct {
	pool    *pgxpool.Pool
	tx      pgx.Tx
	records [][]any
	values  [][]any
	Records int
}

// Import starts an import; the database must hold no records yet.
func (s *Store) Import(ctx context.Context) (*Importer, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	// Writers wait until the import ends: one starting meanwhile would
	// give date_added values the import is about to use.
	if _, err := tx.Exec(ctx, "LOCK TABLE records, collection_state IN EXCLUSIVE MODE"); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1) r").Scan(&n); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	if n > 0 {
		_ = tx.Rollback(ctx)
		return nil, errors.New("the database already holds objects: import into an empty one")
	}
	return &Importer{pool: s.pool, tx: tx}, nil
}

// Record adds one version.
func (im *Importer) Record(ctx context.Context, collection string, r storage.Record, first, last bool) error {
	typ, _, _ := strings.Cut(r.ID, "--")
	added := micros(r.DateAdded)
	im.records = append(im.records, []any{collection, added, r.ID, typ, micros(r.Version), r.VersionText, r.SpecVersion, first, last, r.JSON})
	for _, v := range storage.IndexValues(typ, r.JSON) {
		im.values = append(im.values, []any{collection, v, added})
	}
	im.Records++
	if len(im.records) >= importBatch {
		return im.flush(ctx)
	}
	return nil
}

func (im *Importer) flush(ctx context.Context) error {
	if len(im.records) > 0 {
		if _, err := im.tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordColumns, pgx.CopyFromRows(im.records)); err != nil {
			return fmt.Errorf("copy records: %w", err)
		}
		im.records = im.records[:0]
	}
	if len(im.values) > 0 {
		if _, err := im.tx.CopyFrom(ctx, pgx.Identifier{"record_values"}, valueColumns, pgx.CopyFromRows(im.values)); err != nil {
			return fmt.Errorf("copy values: %w", err)
		}
		im.values = im.values[:0]
	}
	return nil
}

// LastAdded sets the latest date_added a collection gave (a deleted
// entry's included): the next one is after it.
func (im *Importer) LastAdded(ctx context.Context, collection string, last storage.Position) error {
	_, err := im.tx.Exec(ctx, `INSERT INTO collection_state (collection, last_added) VALUES ($1, $2)
		ON CONFLICT (collection) DO UPDATE SET last_added = GREATEST(collection_state.last_added, EXCLUDED.last_added)`,
		collection, micros(last.DateAdded))
	return err
}

// Cursor sets an ingest source's state.
func (im *Importer) Cursor(ctx context.Context, source string, state []byte) error {
	_, err := im.tx.Exec(ctx, "INSERT INTO cursors (source, state) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET state = EXCLUDED.state",
		source, state)
	return err
}

// Receipt adds a receipt.
func (im *Importer) Receipt(ctx context.Context, r storage.Receipt) error {
	_, err := im.tx.Exec(ctx, "INSERT INTO receipts (key, owner, expires, json) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
		r.Key, r.Owner, micros(r.Expires), r.JSON)
	return err
}

// CollectionID keeps a generated collection id.
func (im *Importer) CollectionID(ctx context.Context, key, id string) error {
	_, err := im.tx.Exec(ctx, "INSERT INTO collection_ids (key, id) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET id = EXCLUDED.id", key, id)
	return err
}

// PagingKey replaces the database's paging key with the store's: next
// tokens minted before the move stay valid.
func (im *Importer) PagingKey(ctx context.Context, key []byte) error {
	if len(key) != 32 {
		return fmt.Errorf("paging key of %d bytes", len(key))
	}
	_, err := im.tx.Exec(ctx, "UPDATE gib_meta SET value = $1 WHERE key = 'paging_key'", key)
	return err
}

// Commit writes everything, or nothing on error, then has the planner
// look at the new rows: without statistics it can pick plans that sort
// a collection for a page.
func (im *Importer) Commit(ctx context.Context) error {
	if err := im.flush(ctx); err != nil {
		_ = im.tx.Rollback(ctx)
		return err
	}
	if err := im.tx.Commit(ctx); err != nil {
		return err
	}
	_, err := im.pool.Exec(ctx, "ANALYZE records, record_values")
	return err
}

// Rollback abandons the import.
func (im *Importer) Rollback(ctx context.Context) { _ = im.tx.Rollback(ctx) }
