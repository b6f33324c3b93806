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
	if c.Source == "" {
		return errors.New("cursor: empty source")
	}
	state := c.State
	if c.Update != nil {
		var err error
		if state, err = c.Update(res); err != nil {
			return fmt.Errorf("cursor %s: %w", c.Source, err)
		}
	}
	return tx.Bucket(bucketIngest).Put([]byte(c.Source), state)
}

// collectionWriter holds one collection's buckets for a write transaction
// and the last date_added allocated in it.
type collectionWriter struct {
	objects, index *bolt.Bucket
	last           stamp
	now            func() stamp
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
	cw := &collectionWriter{}
	for _, p := range []struct {
		b    **bolt.Bucket
		name []byte
	}{{&cw.objects, bucketObjects}, {&cw.index, bucketIndex}} {
		if *p.b, err = c.CreateBucketIfNotExists(p.name); err != nil {
			return nil, err
		}
	}
	// The untyped 'A' family holds every entry: its last key is the
	// collection's latest date_added, unless that entry was deleted.
	cw.index.FillPercent = 0.9
	cw.last = lastAdded(c, cw.index)
	return cw, nil
}

// lastAdded is the latest date_added ever given in a collection: the last
// 'A' entry, or the mark a deletion left when it removed later entries.
// A date_added is never given twice, even after a delete: a client that
// saw it as X-TAXII-Date-Added-Last would skip the new entry.
func lastAdded(coll, index *bolt.Bucket) stamp {
	var last stamp
	if k, _ := lastWithPrefix(index.Cursor(), indexPrefix(kindAll, "")); k != nil {
		last = stampAt(k[len(k)-8:])
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

// versionRef is a copy of one stored version's key and date_added.
type versionRef struct {
	version stamp
	added   stamp
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
	key := objectKey(obj.ID, version)
	if v := cw.objects.Get(key); v != nil {
		rec, err := decodeRecord(v)
		if err != nil {
			return 0, 0, fmt.Errorf("%w under key %q", err, key)
		}
		if storage.SameJSON(rec.json, obj.JSON) {
			return putUnchanged, rec.added, nil
		}
		return putConflict, rec.added, nil
	}
	first, last, err := cw.bounds(obj.ID)
	if err != nil {
		return 0, 0, err
	}
	added := cw.allocate()
	val, err := encodeRecord(added, obj.SpecVersion, obj.VersionText, obj.JSON)
	if err != nil {
		return 0, 0, err
	}
	if err := cw.objects.Put(key, val); err != nil {
		return 0, 0, err
	}
	if err := cw.indexEntry(kindAll, obj.Type, nil, added, key); err != nil {
		return 0, 0, err
	}
	if last == nil || version > last.version {
		if err := cw.indexEntry(kindLast, obj.Type, last, added, key); err != nil {
			return 0, 0, err
		}
	}
	if first == nil || version < first.version {
		if err := cw.indexEntry(kindFirst, obj.Type, first, added, key); err != nil {
			return 0, 0, err
		}
	}
	return putAdded, added, nil
}

// indexEntry puts the untyped and typed index keys of one family, after
// removing the ones of the version they replace (for first and last).
func (cw *collectionWriter) indexEntry(kind byte, typ string, replaced *versionRef, added stamp, key []byte) error {
	for _, t := range []string{"", typ} {
		if replaced != nil {
			if err := cw.index.Delete(indexKey(kind, t, replaced.added)); err != nil {
				return err
			}
		}
		if err := cw.index.Put(indexKey(kind, t, added), key); err != nil {
			return err
		}
	}
	return nil
}

// bounds returns the first and last stored versions of id, or nils.
func (cw *collectionWriter) bounds(id string) (first, last *versionRef, err error) {
	prefix := idPrefix(id)
	c := cw.objects.Cursor()
	k, v := c.Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil, nil
	}
	if first, err = refOf(k, v); err != nil {
		return nil, nil, err
	}
	k, v = lastWithPrefix(c, prefix)
	if last, err = refOf(k, v); err != nil {
		return nil, nil, err
	}
	return first, last, nil
}

func refOf(k, v []byte) (*versionRef, error) {
	r, err := decodeRecord(v)
	if err != nil {
		return nil, fmt.Errorf("%w under key %q", err, k)
	}
	return &versionRef{version: stampAt(k[len(k)-8:]), added: r.added}, nil
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
