package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// storedVersion is one stored version of an object, copied out of the
// transaction's pages so that it outlives the deletions.
type storedVersion struct {
	key     []byte
	version stamp // effective: date_added for unversioned objects
	added   stamp
}

// Delete removes the versions of one object that d selects from one
// collection, with their index entries, and returns how many
// it removed; storage.ErrNotFound when it selects none. The first and last
// entries move to the versions that remain. date_added values are never
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
		cw := &collectionWriter{objects: coll.Bucket(bucketObjects), index: coll.Bucket(bucketIndex)}
		if cw.objects == nil || cw.index == nil {
			return fmt.Errorf("%w: collection %s lacks a bucket", errCorrupt, d.Collection)
		}
		all, err := storedVersions(cw.objects, d.ID)
		if err != nil {
			return err
		}
		doomed, kept := selectVersions(all, d)
		if len(doomed) == 0 {
			return storage.ErrNotFound
		}
		// Remember the latest date_added before its entry may go.
		if err := coll.Put(keyLastAdded, lastAdded(coll, cw.index).appendTo(nil)); err != nil {
			return err
		}
		for _, v := range doomed {
			if err := cw.remove(typ, d.ID, v); err != nil {
				return err
			}
		}
		n = len(doomed)
		return cw.moveBounds(typ, all, kept)
	})
	if err != nil {
		return 0, fmt.Errorf("delete %s from %s: %w", d.ID, d.Collection, err)
	}
	return n, nil
}

// storedVersions lists the versions of id, oldest first.
func storedVersions(objects *bolt.Bucket, id string) ([]storedVersion, error) {
	var out []storedVersion
	prefix := idPrefix(id)
	c := objects.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		rec, err := decodeRecord(v)
		if err != nil {
			return nil, fmt.Errorf("%w under key %q", err, k)
		}
		if len(rec.specVersion) == 0 {
			return nil, fmt.Errorf("%w: no spec_version under key %q", errCorrupt, k)
		}
		out = append(out, storedVersion{key: bytes.Clone(k), version: effectiveVersion(stampAt(k[len(k)-8:]), rec), added: rec.added})
	}
	return out, nil
}

// selectVersions splits the versions into those d selects and the rest.
// Only spec_version 2.1 is stored, so a spec_version filter either keeps
// every version or none.
func selectVersions(all []storedVersion, d storage.Deletion) (doomed, kept []storedVersion) {
	if len(d.SpecVersions) > 0 && !slices.Contains(d.SpecVersions, storage.SpecVersion) {
		return nil, all
	}
	v := d.Versions
	at := map[stamp]bool{}
	for _, t := range v.At {
		at[stampOf(t)] = true
	}
	for i, sv := range all {
		selected := v.IsZero() || v.All || (v.First && i == 0) || (v.Last && i == len(all)-1) || at[sv.version]
		if selected {
			doomed = append(doomed, sv)
		} else {
			kept = append(kept, sv)
		}
	}
	return doomed, kept
}

// remove deletes one version and its 'A' entries.
func (cw *collectionWriter) remove(typ, id string, v storedVersion) error {
	if err := cw.objects.Delete(v.key); err != nil {
		return err
	}
	for _, t := range []string{"", typ} {
		if err := cw.index.Delete(indexKey(kindAll, t, v.added)); err != nil {
			return err
		}
	}
	return nil
}

// moveBounds points the 'F' and 'L' entries of an object at its first and
// last remaining versions, or removes them when none remains.
func (cw *collectionWriter) moveBounds(typ string, before, kept []storedVersion) error {
	for _, b := range []struct {
		kind    byte
		was, is *storedVersion
	}{
		{kindFirst, &before[0], first(kept)},
		{kindLast, &before[len(before)-1], last(kept)},
	} {
		if b.is != nil && b.is.added == b.was.added {
			continue
		}
		for _, t := range []string{"", typ} {
			if err := cw.index.Delete(indexKey(b.kind, t, b.was.added)); err != nil {
				return err
			}
			if b.is == nil {
				continue
			}
			if err := cw.index.Put(indexKey(b.kind, t, b.is.added), b.is.key); err != nil {
				return err
			}
		}
	}
	return nil
}

func first(vs []storedVersion) *storedVersion {
	if len(vs) == 0 {
		return nil
	}
	return &vs[0]
}

func last(vs []storedVersion) *storedVersion {
	if len(vs) == 0 {
		return nil
	}
	return &vs[len(vs)-1]
}
