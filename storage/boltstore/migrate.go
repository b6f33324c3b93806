package boltstore

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets and formats of the older layouts, read only to migrate them.
var (
	bucketHistory = []byte("history") // schema 1
	bucketObjects = []byte("objects") // schemas 1 and 2: <id> 0x00 <version> -> record
	bucketIndex   = []byte("index")   // schemas 1 and 2: <kind> <type> 0x00 <date_added> -> objects key
)

// The index families of schemas 1 and 2: every version, each object's
// first version, each object's last version.
const (
	legacyAll   byte = 'A'
	legacyFirst byte = 'F'
	legacyLast  byte = 'L'
)

// defaultMigrateChunk is how many versions one migration transaction
// moves: a million-version store cannot be rewritten in one transaction
// (bbolt holds every dirty page in memory until commit), and chunks let a
// migration cut short by a crash resume where it was.
const defaultMigrateChunk = 10000

func legacyIndexKey(kind byte, added stamp) []byte {
	return added.appendTo([]byte{kind, 0})
}

// legacyRecord is the value of a schema 1 or 2 objects entry.
//
//	[0]      format (1)
//	[1:9]    date_added stamp
//	[9]      len(spec_version), then spec_version
//	[.]      len(version text), then version text
//	rest     the object's JSON
type legacyRecord struct {
	added       stamp
	specVersion []byte
	versionText []byte
	json        []byte
}

func decodeLegacyRecord(b []byte) (legacyRecord, error) {
	if len(b) < 11 || b[0] != 1 {
		return legacyRecord{}, errCorrupt
	}
	r := legacyRecord{added: stampAt(b[1:9])}
	rest := b[9:]
	var ok bool
	if r.specVersion, rest, ok = cutLenPrefixed(rest); !ok {
		return legacyRecord{}, errCorrupt
	}
	if r.versionText, rest, ok = cutLenPrefixed(rest); !ok {
		return legacyRecord{}, errCorrupt
	}
	r.json = rest
	return r, nil
}

// upgradeSchema records the schema of a new file, and for an older one
// drops what schema 2 dropped and marks its collections for migration
// (migrateCollections moves them to the schema-3 layout and builds the
// values index of schema 4), in the caller's write transaction.
// The schema number changes at once, so an older gib-taxii refuses a
// file whose collections it could no longer read.
func upgradeSchema(meta *bolt.Bucket) error {
	v, err := schemaOf(meta)
	switch {
	case err != nil:
		return err
	case v == SchemaVersion:
		return nil
	case v == 1:
		if err := migrate1to2(meta.Tx()); err != nil {
			return fmt.Errorf("migrate the store from schema 1 to 2: %w", err)
		}
		fallthrough
	case v == 4:
		// The values index is rebuilt: dropped here, built again by
		// migrateCollections like a schema-3 collection's.
		for _, name := range collectionNames(meta.Tx()) {
			c := meta.Tx().Bucket(bucketCollections).Bucket(name)
			if c.Bucket(bucketValues) == nil {
				continue
			}
			if err := c.DeleteBucket(bucketValues); err != nil {
				return fmt.Errorf("collection %s: %w", name, err)
			}
		}
		fallthrough
	case v == 2, v == 3:
		if err := meta.Put(keyMigrating, []byte(strconv.Itoa(v))); err != nil {
			return err
		}
	}
	return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
}

// migrate1to2 drops every collection's history bucket.
func migrate1to2(tx *bolt.Tx) error {
	for _, name := range collectionNames(tx) {
		c := tx.Bucket(bucketCollections).Bucket(name)
		if c.Bucket(bucketHistory) == nil {
			continue
		}
		if err := c.DeleteBucket(bucketHistory); err != nil {
			return fmt.Errorf("collection %s: %w", name, err)
		}
	}
	return nil
}

func collectionNames(tx *bolt.Tx) [][]byte {
	var names [][]byte
	_ = tx.Bucket(bucketCollections).ForEachBucket(func(name []byte) error {
		names = append(names, bytes.Clone(name))
		return nil
	})
	return names
}

// migrateCollections moves every collection still in the schema-2 layout
// to the current one, a chunk of versions per transaction, until none is
// left; then it clears the mark. Each version keeps its date_added, so
// clients' next tokens and added_after bookmarks stay exact.
func (s *Store) migrateCollections() error {
	chunk := s.migrateChunk
	if chunk <= 0 {
		chunk = defaultMigrateChunk
	}
	left, err := s.versionsToMigrate()
	if err != nil || left < 0 {
		return err
	}
	s.log.Warn("moving the store to a new layout; it is served once this ends (about 50 s per million versions)",
		"path", s.path, "schema", SchemaVersion, "versions", left)
	start, report := time.Now(), time.Now()
	moved := 0
	for {
		done := false
		err := s.update(func(tx *bolt.Tx) error {
			var err error
			done, err = migrateChunk(tx, chunk)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate the store to schema %d: %w", SchemaVersion, err)
		}
		if done {
			s.log.Info("store moved to the new layout", "path", s.path, "schema", SchemaVersion, "took", time.Since(start).Round(time.Millisecond).String())
			return nil
		}
		if moved += chunk; time.Since(report) >= 10*time.Second {
			report = time.Now()
			s.log.Info("moving the store to a new layout", "path", s.path, "moved", min(moved, left), "versions", left)
		}
		if s.afterMigrateChunk != nil {
			if err := s.afterMigrateChunk(); err != nil {
				return err
			}
		}
	}
}

// versionsToMigrate counts the versions still in the old layout; -1
// when no migration is under way.
func (s *Store) versionsToMigrate() (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keyMigrating) == nil {
			n = -1
			return nil
		}
		for _, name := range collectionNames(tx) {
			c := tx.Bucket(bucketCollections).Bucket(name)
			records := 0
			if b := c.Bucket(bucketRecords); b != nil {
				records = b.Stats().KeyN
			}
			switch {
			case c.Bucket(bucketObjects) != nil:
				n += c.Bucket(bucketObjects).Stats().KeyN - records // less what a migration cut short moved
			case c.Bucket(bucketValues) == nil || c.Get(keyValuesFrom) != nil:
				n += records // an estimate when resumed
			}
		}
		return nil
	})
	return n, err
}

// migrateChunk moves at most n versions; done reports that none is left.
func migrateChunk(tx *bolt.Tx, n int) (done bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keyMigrating) == nil {
		return true, nil
	}
	for _, name := range collectionNames(tx) {
		c := tx.Bucket(bucketCollections).Bucket(name)
		migrate := migrateCollection
		switch {
		case c.Bucket(bucketObjects) != nil || c.Bucket(bucketIndex) != nil:
		case c.Bucket(bucketValues) == nil || c.Get(keyValuesFrom) != nil:
			migrate = indexCollectionValues
		default:
			continue
		}
		moved, err := migrate(c, n)
		if err != nil {
			return false, fmt.Errorf("collection %s: %w", name, err)
		}
		if n -= moved; n <= 0 {
			return false, nil
		}
	}
	return true, meta.Delete(keyMigrating)
}

// migrateCollection moves up to n versions of one collection, in
// date_added order from where the last chunk stopped, and drops the old
// buckets once every version is moved.
func migrateCollection(c *bolt.Bucket, n int) (int, error) {
	objects, index := c.Bucket(bucketObjects), c.Bucket(bucketIndex)
	if objects == nil || index == nil {
		return 0, fmt.Errorf("%w: the objects or index bucket is missing", errCorrupt)
	}
	cw, err := collectionBuckets(c, true)
	if err != nil {
		return 0, err
	}
	var from stamp
	if k, _ := cw.records.Cursor().Last(); len(k) == 8 {
		from = stampAt(k) + 1
	}
	prefix := []byte{legacyAll, 0}
	cur := index.Cursor()
	moved := 0
	for k, key := cur.Seek(legacyIndexKey(legacyAll, from)); k != nil && bytes.HasPrefix(k, prefix); k, key = cur.Next() {
		if moved == n {
			return moved, nil
		}
		if err := migrateVersion(cw, objects, index, k, key); err != nil {
			return moved, err
		}
		moved++
	}
	// The old index listed every version it knew of; the objects bucket
	// is what was stored. A difference is damage the page check cannot
	// see: stop, with the old layout still in place, rather than drop
	// what the index missed.
	if have, want := countKeys(cw.records), objects.Stats().KeyN; have != want {
		return moved, fmt.Errorf("%w: the old index names %d versions, the objects bucket holds %d; "+
			"the file is left half-moved: restore a backup, or keep it for analysis", errCorrupt, have, want)
	}
	for _, name := range [][]byte{bucketObjects, bucketIndex} {
		if err := c.DeleteBucket(name); err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// migrateVersion moves the version one untyped 'A' index entry names.
func migrateVersion(cw *collectionWriter, objects, index *bolt.Bucket, k, key []byte) error {
	if len(k) != 10 {
		return fmt.Errorf("%w: index key %q", errCorrupt, k)
	}
	added := stampAt(k[2:])
	id, version, ok := splitIDKey(key)
	if !ok {
		return fmt.Errorf("%w: index entry at %s names %q", errCorrupt, added.time(), key)
	}
	old, err := decodeLegacyRecord(objects.Get(key))
	if err != nil || old.added != added {
		return fmt.Errorf("%w: object %q named by the entry at %s", errCorrupt, key, added.time())
	}
	var flags byte
	if index.Get(legacyIndexKey(legacyFirst, added)) != nil {
		flags |= flagFirst
	}
	if index.Get(legacyIndexKey(legacyLast, added)) != nil {
		flags |= flagLast
	}
	val, err := encodeRecord(flags, version, string(id), string(old.specVersion), string(old.versionText), old.json)
	if err != nil {
		return err
	}
	if err := cw.records.Put(added.appendTo(nil), val); err != nil {
		return err
	}
	if err := cw.ids.Put(bytes.Clone(key), added.appendTo(nil)); err != nil {
		return err
	}
	typ := string(typeOfID(id))
	if err := cw.types.Put(typeKey(typ, added), nil); err != nil {
		return err
	}
	return cw.indexValues(typ, old.json, added)
}

// indexCollectionValues builds the values index of a schema-3 collection,
// up to n records per call from where the last one stopped.
func indexCollectionValues(c *bolt.Bucket, n int) (int, error) {
	cw, err := collectionBuckets(c, true)
	if err != nil {
		return 0, err
	}
	var from stamp
	if v := c.Get(keyValuesFrom); len(v) == 8 {
		from = stampAt(v)
	}
	cur := cw.records.Cursor()
	done := 0
	for k, v := cur.Seek(from.appendTo(nil)); k != nil; k, v = cur.Next() {
		if done == n {
			return done, c.Put(keyValuesFrom, bytes.Clone(k))
		}
		rec, err := decodeRecord(v)
		if err != nil || len(k) != 8 {
			return done, fmt.Errorf("%w: record %x", errCorrupt, k)
		}
		if err := cw.indexValues(string(typeOfID(rec.id)), rec.json, stampAt(k)); err != nil {
			return done, err
		}
		done++
	}
	return done, c.Delete(keyValuesFrom)
}

// countKeys counts a bucket's keys with a cursor, which, unlike Stats,
// sees what the transaction wrote.
func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
