// Package pgstore implements gib-taxii's store on PostgreSQL (pgx), for
// deployments where several gib-taxii processes serve one database. It
// passes the same conformance suite as the bbolt store (storage/storagetest).
//
// Layout: schema.sql, applied on open under an advisory lock (several
// replicas may start together). date_added is allocated per collection
// under a row lock on collection_state, inside the writing transaction, as
// max(now, last+1µs): unique and increasing even with writers racing, and
// never given twice (last_added only grows, deletes included). Every page
// is one indexed range scan: (collection, date_added) for everything,
// partial indexes for the latest versions, (collection, type, date_added)
// for match[type], (collection, id, version) for match[id].
package pgstore

import (
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SchemaVersion is the schema this code reads and writes.
//
//	1: records, values, cursors, receipts, collection ids, meta
//	2: the ingest lease's epoch, which fences a former leader's commits
const SchemaVersion = 2

//go:embed schema.sql
var schemaSQL string

// schemaLock is the advisory lock id under which the schema is applied.
const schemaLock = 0x67696274 // "gibt"

// Options tune a Store. The zero value is usable.
type Options struct {
	// Now is the clock date_added is taken from. Default time.Now.
	Now func() time.Time
	// MaxLimit caps Query.Limit. Default 1000.
	MaxLimit int
	// ReadURL, if set, is a read replica that serves the TAXII reads
	// (pages, objects, lookups); writes, cursors and receipts stay on the
	// primary. Per collection, date_added is given in commit order under
	// a row lock, and a replica applies commits in order, so a page read
	// from a lagging replica can be late but never has a hole.
	ReadURL string
}

// Store is a PostgreSQL-backed store, safe for concurrent use.
type Store struct {
	pool      *pgxpool.Pool
	reads     *pgxpool.Pool // the read replica's, or pool
	now       func() time.Time
	maxLimit  int
	pagingKey []byte
	closeOnce sync.Once
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or DSN), applies
// the schema where missing, and refuses a database of a newer gib-taxii.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxLimit <= 0 {
		opts.MaxLimit = 1000
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	s := &Store{pool: pool, reads: pool, now: opts.Now, maxLimit: opts.MaxLimit}
	if err := s.initialize(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if opts.ReadURL != "" {
		if s.reads, err = pgxpool.New(ctx, opts.ReadURL); err != nil {
			pool.Close()
			return nil, fmt.Errorf("open postgres read replica: %w", err)
		}
		if err := s.reads.Ping(ctx); err != nil {
			s.reads.Close()
			pool.Close()
			return nil, fmt.Errorf("open postgres read replica: %w", err)
		}
	}
	return s, nil
}

// initialize applies the schema where missing or older, refuses a newer
// one, and reads (or makes) the paging key, in one transaction under the
// schema lock. The DDL runs only when needed: CREATE INDEX IF NOT EXISTS
// locks its table against writes even when the index is there, and a
// replica starting must not stall the others.
func (s *Store) initialize(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", schemaLock); err != nil {
			return err
		}
		v, err := schemaOf(ctx, tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: database has schema %d, this gib-taxii reads up to %d; upgrade gib-taxii",
				storage.ErrSchemaTooNew, v, SchemaVersion)
		}
		if v < SchemaVersion {
			if _, err := tx.Exec(ctx, schemaSQL); err != nil {
				return fmt.Errorf("apply schema: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO gib_meta (key, value) VALUES ('schema', $1)
				ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, []byte(strconv.Itoa(SchemaVersion))); err != nil {
				return err
			}
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO gib_meta (key, value) VALUES ('paging_key', $1) ON CONFLICT (key) DO NOTHING", key); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM gib_meta WHERE key = 'paging_key'").Scan(&s.pagingKey)
	})
}

// schemaOf is the database's schema version: 0 when it has none yet.
func schemaOf(ctx context.Context, tx pgx.Tx) (int, error) {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('gib_meta') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var raw []byte
	err := tx.QueryRow(ctx, "SELECT value FROM gib_meta WHERE key = 'schema'").Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w", raw, err)
	}
	return v, nil
}

// Close closes the pool. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.reads != s.pool {
			s.reads.Close()
		}
		s.pool.Close()
	})
	return nil
}

// PagingKey returns the secret next tokens are signed with: one per
// database, so that a token minted by one replica is honoured by all.
func (s *Store) PagingKey() []byte { return append([]byte(nil), s.pagingKey...) }

// Ping checks that the primary and the read replica answer: /readyz
// asks it, since a replica that stopped answering fails every page.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if s.reads != s.pool {
		if err := s.reads.Ping(ctx); err != nil {
			return fmt.Errorf("postgres read replica: %w", err)
		}
	}
	return nil
}

// Fault is nil: the database server, not this process, owns the data's
// integrity (bbolt's store reports damage it found here).
func (s *Store) Fault() error { return nil }

// MaxLimit returns the largest page the store returns.
func (s *Store) MaxLimit() int { return s.maxLimit }

// Cursor returns the state last committed for an ingest source.
func (s *Store) Cursor(ctx context.Context, source string) ([]byte, error) {
	var state []byte
	err := s.pool.QueryRow(ctx, "SELECT state FROM cursors WHERE source = $1", source).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("cursor %q: %w", source, storage.ErrNotFound)
	}
	return state, err
}

// CollectionID returns the id kept for a collection key, generating a
// UUIDv4 the first time.
func (s *Store) CollectionID(ctx context.Context, key string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	if _, err := s.pool.Exec(ctx, "INSERT INTO collection_ids (key, id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, id); err != nil {
		return "", fmt.Errorf("collection id of %q: %w", key, err)
	}
	err := s.pool.QueryRow(ctx, "SELECT id FROM collection_ids WHERE key = $1", key).Scan(&id)
	return id, err
}

// CollectionIDs returns every generated collection id, by key.
func (s *Store) CollectionIDs(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT key, id FROM collection_ids")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var key, id string
	_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error {
		out[key] = id
		return nil
	})
	return out, err
}

// micros is a time as stored: microseconds since the Unix epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }
