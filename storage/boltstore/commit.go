package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// Commit writes a batch in one transaction: every object of every write and
// the cursor, or nothing. An object whose id and version are already in the
// collection is a no-op and gets no new date_added. New entries get a
// date_added that is strictly increasing and unique per collection.
func (s *Store) Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error) {
	var res storage.CommitResult
	if err := ctx.Err(); err != nil {
		return res, err
	}
	err := s.update(func(tx *bolt.Tx) error {
		res = storage.CommitResult{}
		for i, w := range b.Writes {
			if err := s.writeCollection(ctx, tx, i, w, &res); err != nil {
				return err
			}
		}
		if err := putCursor(tx, b.Cursor, res); err != nil {
			return err
		}
		return s.putReceipt(tx, b.Receipt, res)
	})
	if err != nil {
		return storage.CommitResult{}, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

func putCursor(tx *bolt.Tx, c *storage.Cursor, res storage.CommitResult) error {
	if c == nil {
		return nil
	}
	state, err := c.StateAfter(res)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketIngest).Put([]byte(c.Source), state)
}

// collectionWriter holds one collection's buckets for a write transaction
// and the last date_added allocated in it.
type collectionWriter struct {
	records, ids, types, values *bolt.Bucket
	last                        stamp
	now                         func() stamp
}

func (s *Store) writeCollection(ctx context.Context, tx *bolt.Tx, wi int, w storage.Write, res *storage.CommitResult) error {
	if w.Collection == "" {
		return errors.New("write: empty collection id")
	}
	cw, err := openCollectionWriter(tx, w.Collection)
	if err != nil {
		return fmt.Errorf("collection %s: %w", w.Collection, err)
	}
	cw.now = func() stamp { return stampOf(s.now()) }
	var reports []storage.ObjectReport
	if w.Report {
		for len(res.Reports) <= wi {
			res.Reports = append(res.Reports, nil)
		}
		reports = make([]storage.ObjectReport, len(w.Objects))
		res.Reports[wi] = reports
	}
	for i, obj := range w.Objects {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		outcome, added, err := cw.put(obj)
		if err != nil {
			return fmt.Errorf("collection %s: object %d (%s): %w", w.Collection, i, obj.ID, err)
		}
		if w.Report {
			reports[i] = storage.ObjectReport{DateAdded: added.time(), New: outcome == putAdded, Conflict: outcome == putConflict}
		}
		if outcome == putAdded {
			res.Added++
		} else {
			res.Unchanged++
		}
	}
	return nil
}

func openCollectionWriter(tx *bolt.Tx, collection string) (*collectionWriter, error) {
	c, err := tx.Bucket(bucketCollections).CreateBucketIfNotExists([]byte(collection))
	if err != nil {
		return nil, err
	}
	cw, err := collectionBuckets(c, true)
	if err != nil {
		return nil, err
	}
	cw.last = lastAdded(c, cw.records)
	return cw, nil
}

// collectionBuckets returns a collection's buckets, made if create is set,
// with the fill each one's write pattern calls for: records are only ever
// appended (date_added increases), so pages are filled before they split;
// types entries are appended per type; ids arrive in random order and keep
// bbolt's default half-full split.
func collectionBuckets(c *bolt.Bucket, create bool) (*collectionWriter, error) {
	cw := &collectionWriter{}
	for _, p := range []struct {
		b    **bolt.Bucket
		name []byte
		fill float64
	}{{&cw.records, bucketRecords, 1.0}, {&cw.ids, bucketIDs, bolt.DefaultFillPercent}, {&cw.types, bucketTypes, 0.9},
		{&cw.values, bucketValues, bolt.DefaultFillPercent}} {
		if create {
			b, err := c.CreateBucketIfNotExists(p.name)
			if err != nil {
				return nil, err
			}
			*p.b = b
		} else if *p.b = c.Bucket(p.name); *p.b == nil {
			return nil, fmt.Errorf("%w: no %s bucket", errCorrupt, p.name)
		}
		(*p.b).FillPercent = p.fill
	}
	return cw, nil
}

// lastAdded is the latest date_added ever given in a collection: the last
// record, or the mark a deletion left when it removed later records.
// A date_added is never given twice, even after a delete: a client that
// saw it as X-TAXII-Date-Added-Last would skip the new entry.
func lastAdded(coll, records *bolt.Bucket) stamp {
	var last stamp
	if k, _ := records.Cursor().Last(); len(k) == 8 {
		last = stampAt(k)
	}
	if v := coll.Get(keyLastAdded); len(v) == 8 && stampAt(v) > last {
		last = stampAt(v)
	}
	return last
}

// allocate returns the next date_added: now, or one microsecond after the
// previous entry when the clock has not moved on (or went back).
func (cw *collectionWriter) allocate() stamp {
	t := cw.now()
	if t <= cw.last {
		t = cw.last + 1
	}
	cw.last = t
	return t
}

// putOutcome is what put did with one object version.
type putOutcome int

const (
	putAdded     putOutcome = iota
	putUnchanged            // the same bytes were stored already
	putConflict             // other bytes were stored under this id and version
)

// put stores one object version unless its id and version are stored,
// and returns the version's date_added.
func (cw *collectionWriter) put(obj storage.Object) (putOutcome, stamp, error) {
	if !storage.IsID(obj.ID) || !strings.HasPrefix(obj.ID, obj.Type+"--") || len(obj.JSON) == 0 {
		return 0, 0, fmt.Errorf("%w: object was not built by storage.ParseObject", storage.ErrInvalidObject)
	}
	version := stampOf(obj.Version)
	key := idKey(obj.ID, version)
	at, earlier, later, err := cw.neighbours(key)
	if err != nil {
		return 0, 0, err
	}
	if at != nil {
		rec, err := cw.recordAt(at.added)
		if err != nil {
			return 0, 0, err
		}
		if storage.SameJSON(rec.json, obj.JSON) {
			return putUnchanged, at.added, nil
		}
		return putConflict, at.added, nil
	}
	var flags byte
	if later == nil {
		flags |= flagLast
	}
	if earlier == nil {
		flags |= flagFirst
	}
	added := cw.allocate()
	val, err := encodeRecord(flags, version, obj.ID, obj.SpecVersion, obj.VersionText, obj.JSON)
	if err != nil {
		return 0, 0, err
	}
	if err := cw.records.Put(added.appendTo(nil), val); err != nil {
		return 0, 0, err
	}
	if err := cw.ids.Put(key, added.appendTo(nil)); err != nil {
		return 0, 0, err
	}
	if err := cw.types.Put(typeKey(obj.Type, added), nil); err != nil {
		return 0, 0, err
	}
	if err := cw.indexValues(obj.Type, obj.JSON, added); err != nil {
		return 0, 0, err
	}
	// The versions this one displaces as first or last lose that flag:
	// the one just before it was last, the one just after it was first.
	if later == nil && earlier != nil {
		if err := cw.setFlag(earlier.added, flagLast, false); err != nil {
			return 0, 0, err
		}
	}
	if earlier == nil && later != nil {
		if err := cw.setFlag(later.added, flagFirst, false); err != nil {
			return 0, 0, err
		}
	}
	return putAdded, added, nil
}

// neighbours finds, with one descent of the ids tree, the stored version
// under key (at), or else the versions of the same object just before and
// after it.
func (cw *collectionWriter) neighbours(key []byte) (at, earlier, later *versionRef, err error) {
	prefix := key[:len(key)-8]
	c := cw.ids.Cursor()
	k, v := c.Seek(key)
	switch {
	case k != nil && bytes.Equal(k, key):
		at, err = refOf(k, v)
		return at, nil, nil, err
	case k != nil && bytes.HasPrefix(k, prefix):
		if later, err = refOf(k, v); err != nil {
			return nil, nil, nil, err
		}
		k, v = c.Prev()
	case k == nil:
		k, v = c.Last()
	default:
		k, v = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) {
		earlier, err = refOf(k, v)
	}
	return nil, earlier, later, err
}

// indexValues puts the values entries of one record.
func (cw *collectionWriter) indexValues(typ string, json []byte, added stamp) error {
	for _, v := range storage.IndexValues(typ, json) {
		if err := cw.values.Put(valueKey(v, added), nil); err != nil {
			return err
		}
	}
	return nil
}

// recordAt reads the record dated added.
func (cw *collectionWriter) recordAt(added stamp) (record, error) {
	raw := cw.records.Get(added.appendTo(nil))
	if raw == nil {
		return record{}, fmt.Errorf("%w: an ids entry names missing record %s", errCorrupt, added.time())
	}
	rec, err := decodeRecord(raw)
	if err != nil {
		return record{}, fmt.Errorf("%w at %s", err, added.time())
	}
	return rec, nil
}

// recordOf reads the record an ids entry points to.
func (cw *collectionWriter) recordOf(key, v []byte) (stamp, record, error) {
	if len(v) != 8 {
		return 0, record{}, fmt.Errorf("%w: ids entry %q holds %d bytes", errCorrupt, key, len(v))
	}
	rec, err := cw.recordAt(stampAt(v))
	return stampAt(v), rec, err
}

// setFlag sets or clears one flag of a stored record, in place.
func (cw *collectionWriter) setFlag(added stamp, flag byte, on bool) error {
	k := added.appendTo(nil)
	raw := cw.records.Get(k)
	if len(raw) <= flagsAt {
		return fmt.Errorf("%w: no record at %s", errCorrupt, added.time())
	}
	flags := raw[flagsAt] &^ flag
	if on {
		flags |= flag
	}
	if flags == raw[flagsAt] {
		return nil
	}
	v := bytes.Clone(raw) // raw is the read-only memory map
	v[flagsAt] = flags
	return cw.records.Put(k, v)
}

// versionRef is one stored version of an object: its version and date_added.
type versionRef struct {
	version stamp
	added   stamp
}

func refOf(k, v []byte) (*versionRef, error) {
	if len(v) != 8 || len(k) < 8 {
		return nil, fmt.Errorf("%w: ids entry %q holds %d bytes", errCorrupt, k, len(v))
	}
	return &versionRef{version: stampAt(k[len(k)-8:]), added: stampAt(v)}, nil
}

// lastWithPrefix returns the last key starting with prefix and its value,
// or nils. The prefix must end in 0x00, so that prefix[:n-1]+0x01 sorts
// right after every key that starts with it.
func lastWithPrefix(c *bolt.Cursor, prefix []byte) (k, v []byte) {
	after := append(append([]byte(nil), prefix[:len(prefix)-1]...), 1)
	if k, _ = c.Seek(after); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}
