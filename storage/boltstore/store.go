package boltstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this code reads and writes.
//
//	1: objects, index and history per collection
//	2: no history: an object's versions are one prefix of objects, which
//	   match[id] reads directly; the history bucket cost every new version
//	   a write at a random place in the file
//	3: records keyed by date_added (appended, so pages fill), ids and
//	   types entries pointing at that key, first/last as record flags
//	   instead of index families: half the bytes per version
//	4: a values index (indicator values -> the records carrying them),
//	   for lookups by value
//	5: the values index rebuilt: schema 4 took quoted object-path parts
//	   of patterns (hashes.'SHA-256') for values
const SchemaVersion = 5

var (
	bucketMeta        = []byte("meta")
	bucketIngest      = []byte("ingest")
	bucketCollections = []byte("collections")
	bucketRecords     = []byte("records")
	bucketIDs         = []byte("ids")
	bucketTypes       = []byte("types")
	bucketValues      = []byte("values")

	bucketCollectionIDs = []byte("collection_ids")

	// Receipts of TAXII Add Objects requests, by key, and the same keys
	// by expiry (<be64 expires> <key>) for pruning. Made by the first
	// commit that has a receipt, so that opening a store writes nothing.
	bucketReceipts      = []byte("receipts")
	bucketReceiptExpiry = []byte("receipt_expiry")

	keySchema    = []byte("schema")
	keyPagingKey = []byte("paging_key")
	// keyMigrating, in meta, is set while collections are being moved to
	// the current layout, a chunk per transaction (see migrate.go).
	keyMigrating = []byte("migrating")
	// keyLastAdded, in a collection's bucket, is the latest date_added a
	// deletion removed (see lastAdded).
	keyLastAdded = []byte("last_added")
	// keyValuesFrom, in a collection's bucket, is the first date_added
	// whose values are not indexed yet, while a migration builds them.
	keyValuesFrom = []byte("values_from")
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. Default 1s.
	LockTimeout time.Duration
	// Now is the clock date_added is taken from. Default time.Now.
	Now func() time.Time
	// MaxLimit caps Query.Limit. Default 1000.
	MaxLimit int
	// ScanBudget caps the entries one query examines, so a filter that
	// matches little cannot turn a page into a full scan; the page then
	// ends early with More set. Default 100000.
	ScanBudget int
	// NoSync skips fsync on commit: for tests and benchmarks only.
	NoSync bool
	// Logger hears of a schema migration on open: its start, progress
	// every 10 seconds, and its end. Default: silent.
	Logger *slog.Logger

	// For tests of the migration: versions per transaction, and a hook
	// run between transactions whose error stops it (a crash).
	migrateChunk      int
	afterMigrateChunk func() error
}

// Store is a bbolt-backed store. All methods are safe for concurrent use;
// writes are serialised by bbolt.
type Store struct {
	db        *bolt.DB
	path      string
	fault     fault
	now       func() time.Time
	maxLimit  int
	budget    int
	pagingKey []byte
	// writeGate keeps writes out while a page check runs (see Check);
	// gateHeld is set while HoldWrites holds it for the next check.
	writeGate sync.RWMutex
	gateHeld  atomic.Bool

	log               *slog.Logger
	migrateChunk      int
	afterMigrateChunk func() error
	closeOnce         sync.Once
	closeErr          error
}

// Open opens or creates the store file at path. It fails with an error
// wrapping storage.ErrLocked when another process holds the file, and with
// storage.ErrSchemaTooNew when the file was written by a newer gib-taxii.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	s := &Store{path: path, now: opts.Now, maxLimit: opts.MaxLimit, budget: opts.ScanBudget,
		log: opts.Logger, migrateChunk: opts.migrateChunk, afterMigrateChunk: opts.afterMigrateChunk}
	// bbolt reads the meta pages and the freelist on open: a damaged file
	// can panic there already.
	var file *os.File
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	err := s.guard(true, func() (err error) {
		s.db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync, OpenFile: openFile})
		return err
	})
	if err != nil && s.db == nil && file != nil {
		_ = file.Close() // bbolt panicked before it could: release the lock
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w (waited %s)", path, storage.ErrLocked, opts.LockTimeout)
	}
	if err != nil {
		if s.db != nil {
			_ = s.db.Close()
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.initialize(); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// HoldWrites makes writes wait for the next page check (Check without
// SkipPages), and fail if it finds damage: serve holds them from start-up
// until its first check, which runs while reads are served, so nothing is
// written to a file not yet known to be sound. Close releases them too.
func (s *Store) HoldWrites() {
	if s.gateHeld.Load() {
		return
	}
	s.writeGate.Lock()
	s.gateHeld.Store(true)
}

// PruneReceipts removes receipts that expired before now, a bounded
// number per call; commits with a receipt prune too, but a server that
// stops receiving writes must still let old statuses go.
func (s *Store) PruneReceipts(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		receipts, expiry := tx.Bucket(bucketReceipts), tx.Bucket(bucketReceiptExpiry)
		if receipts == nil || expiry == nil {
			return nil
		}
		return pruneReceipts(receipts, expiry, stampOf(s.now()))
	})
}

func (o Options) withDefaults() Options {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxLimit <= 0 {
		o.MaxLimit = 1000
	}
	if o.ScanBudget <= 0 {
		o.ScanBudget = 100000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// initialize checks the schema version and reads the paging key; only a
// new file (or one missing a top-level bucket), or one of an older
// schema, is written to: opening a store to read it, or to check a
// damaged one, must leave it as it was.
func (s *Store) initialize() error {
	ready, older := false, false
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketIngest, bucketCollections, bucketCollectionIDs} {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keySchema) == nil || meta.Get(keyPagingKey) == nil {
			return nil
		}
		if err := checkSchema(meta); err != nil {
			return err
		}
		s.pagingKey = append([]byte(nil), meta.Get(keyPagingKey)...)
		if string(meta.Get(keySchema)) != strconv.Itoa(SchemaVersion) || meta.Get(keyMigrating) != nil {
			older = true // migrated in writes, below
			return nil
		}
		ready = true
		return nil
	})
	if err != nil || ready {
		return err
	}
	if older {
		// A migration writes: not into a damaged file, which must stay as
		// it was for analysis. The page check first (1.5 s per million
		// objects, once); on damage the file stays at its schema, readable
		// where it can be, and refuses writes (see Fault).
		rep, err := s.Check(context.Background(), CheckOptions{SkipInvariants: true})
		if err != nil || !rep.OK() {
			return err
		}
	}
	if err := s.update(s.create); err != nil {
		return err
	}
	return s.migrateCollections()
}

// create makes the top-level buckets, the schema version and the paging
// key, where missing.
func (s *Store) create(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketIngest, bucketCollections, bucketCollectionIDs} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if err := upgradeSchema(meta); err != nil {
		return err
	}
	key := meta.Get(keyPagingKey)
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("generate paging key: %w", err)
		}
		if err := meta.Put(keyPagingKey, key); err != nil {
			return fmt.Errorf("store paging key: %w", err)
		}
	}
	s.pagingKey = append([]byte(nil), key...)
	return nil
}

// checkSchema refuses a file of a newer gib-taxii; it reads, never writes.
func checkSchema(meta *bolt.Bucket) error {
	_, err := schemaOf(meta)
	return err
}

// schemaOf is the file's schema version, 0 when none is recorded yet.
func schemaOf(meta *bolt.Bucket) (int, error) {
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w", raw, err)
	}
	if v > SchemaVersion {
		return 0, fmt.Errorf("%w: file has schema %d, this gib-taxii reads up to %d; upgrade gib-taxii",
			storage.ErrSchemaTooNew, v, SchemaVersion)
	}
	return v, nil
}

// Close closes the file. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.gateHeld.CompareAndSwap(true, false) {
			s.writeGate.Unlock()
		}
		if s.fault.broken.Load() {
			// bbolt failed inside a write and may hold its locks: Close
			// could wait forever. The file is released at exit.
			s.closeErr = s.Fault()
			return
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// lockWrites keeps writes out until the returned function is called; the
// first call after HoldWrites takes over the gate it holds.
func (s *Store) lockWrites() (unlock func()) {
	if !s.gateHeld.CompareAndSwap(true, false) {
		s.writeGate.Lock()
	}
	return s.writeGate.Unlock
}

// PagingKey returns the secret the TAXII server signs next tokens with. It
// is created once per store file, so tokens survive restarts.
func (s *Store) PagingKey() []byte { return append([]byte(nil), s.pagingKey...) }

// MaxLimit returns the largest page the store returns.
func (s *Store) MaxLimit() int { return s.maxLimit }

// Cursor returns the state last committed for an ingest source, or an error
// wrapping storage.ErrNotFound.
func (s *Store) Cursor(ctx context.Context, source string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var state []byte
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketIngest).Get([]byte(source))
		if v == nil {
			return fmt.Errorf("cursor %q: %w", source, storage.ErrNotFound)
		}
		state = append([]byte(nil), v...)
		return nil
	})
	return state, err
}

// collectionBucket returns the sub-bucket name of a collection's bucket, or nil.
func collectionBucket(tx *bolt.Tx, collection string, name []byte) *bolt.Bucket {
	c := tx.Bucket(bucketCollections).Bucket([]byte(collection))
	if c == nil {
		return nil
	}
	return c.Bucket(name)
}

// CollectionID returns the id kept for a collection the configuration
// names without one, generating a UUIDv4 the first time: ids must never
// change (clients store them).
func (s *Store) CollectionID(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var id string
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketCollectionIDs).Get([]byte(key)); v != nil {
			id = string(v)
		}
		return nil
	})
	if err != nil || id != "" {
		return id, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCollectionIDs)
		if v := b.Get([]byte(key)); v != nil {
			id = string(v)
			return nil
		}
		id = uuid.NewString()
		return b.Put([]byte(key), []byte(id))
	})
	if err != nil {
		return "", fmt.Errorf("collection id of %q: %w", key, err)
	}
	return id, nil
}

// Backup writes a consistent copy of the whole store to w while readers
// and writers go on (a bbolt read transaction): copying the live file with
// cp can catch a write half-done.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// CollectionIDs returns every id CollectionID has generated, by key.
func (s *Store) CollectionIDs(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]string{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCollectionIDs).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	return out, err
}
