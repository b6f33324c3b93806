package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ScanRaw calls visit with the bytes of every version in a collection, in
// date_added order, in one read transaction: the fastest the store can
// hand out what the objects endpoint serves. gib-taxii bench measures the
// API against it. visit must not keep the bytes.
func (s *Store) ScanRaw(ctx context.Context, collection string, visit func(json []byte)) (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		objects := collectionBucket(tx, collection, bucketObjects)
		index := collectionBucket(tx, collection, bucketIndex)
		if objects == nil || index == nil {
			return nil
		}
		prefix := indexPrefix(kindAll, "")
		c := index.Cursor()
		for k, key := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, key = c.Next() {
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			rec, err := decodeRecord(objects.Get(key))
			if err != nil {
				return fmt.Errorf("entry %q: %w", key, err)
			}
			visit(rec.json)
			n++
		}
		return nil
	})
	return n, err
}
