package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// storedVersion is one stored version of an object, copied out of the
// transaction's pages so that it outlives the deletions.
type storedVersion struct {
	key     []byte // in the ids bucket
	version stamp  // effective: date_added for unversioned objects
	added   stamp
}

// Delete removes the versions of one object that d selects from one
// collection, with their ids and types entries, and returns how many it
// removed; storage.ErrNotFound when it selects none. The first and last
// flags move to the versions that remain. date_added values are never
// given again (see lastAdded), so clients' resume points stay exact.
func (s *Store) Delete(ctx context.Context, d storage.Deletion) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	typ, _, ok := strings.Cut(d.ID, "--")
	if !storage.IsID(d.ID) || !ok {
		return 0, fmt.Errorf("delete %q: %w", d.ID, storage.ErrNotFound)
	}
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		coll := tx.Bucket(bucketCollections).Bucket([]byte(d.Collection))
		if coll == nil {
			return storage.ErrNotFound
		}
		cw, err := collectionBuckets(coll, false)
		if err != nil {
			return fmt.Errorf("collection %s: %w", d.Collection, err)
		}
		all, err := cw.storedVersions(d.ID)
		if err != nil {
			return err
		}
		versions := make([]time.Time, len(all))
		for i, v := range all {
			versions[i] = v.version.time()
		}
		doomedAt, keptAt := d.Select(versions)
		if len(doomedAt) == 0 {
			return storage.ErrNotFound
		}
		doomed, kept := pick(all, doomedAt), pick(all, keptAt)
		// Remember the latest date_added before its record may go.
		if err := coll.Put(keyLastAdded, lastAdded(coll, cw.records).appendTo(nil)); err != nil {
			return err
		}
		for _, v := range doomed {
			if err := cw.remove(typ, v); err != nil {
				return err
			}
		}
		n = len(doomed)
		if len(kept) == 0 {
			return nil
		}
		if err := cw.setFlag(kept[0].added, flagFirst, true); err != nil {
			return err
		}
		return cw.setFlag(kept[len(kept)-1].added, flagLast, true)
	})
	if err != nil {
		return 0, fmt.Errorf("delete %s from %s: %w", d.ID, d.Collection, err)
	}
	return n, nil
}

// storedVersions lists the versions of id, oldest first.
func (cw *collectionWriter) storedVersions(id string) ([]storedVersion, error) {
	var out []storedVersion
	prefix := idPrefix(id)
	c := cw.ids.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		added, rec, err := cw.recordOf(k, v)
		if err != nil {
			return nil, err
		}
		if len(rec.specVersion) == 0 {
			return nil, fmt.Errorf("%w: no spec_version at %s", errCorrupt, added.time())
		}
		out = append(out, storedVersion{key: bytes.Clone(k), version: rec.effectiveVersion(added), added: added})
	}
	return out, nil
}

func pick(all []storedVersion, at []int) []storedVersion {
	out := make([]storedVersion, len(at))
	for i, j := range at {
		out[i] = all[j]
	}
	return out
}

// remove deletes one version: its record, ids, types and values entries.
func (cw *collectionWriter) remove(typ string, v storedVersion) error {
	rec, err := cw.recordAt(v.added)
	if err != nil {
		return err
	}
	for _, val := range storage.IndexValues(typ, rec.json) {
		if err := cw.values.Delete(valueKey(val, v.added)); err != nil {
			return err
		}
	}
	if err := cw.records.Delete(v.added.appendTo(nil)); err != nil {
		return err
	}
	if err := cw.ids.Delete(v.key); err != nil {
		return err
	}
	return cw.types.Delete(typeKey(typ, v.added))
}
