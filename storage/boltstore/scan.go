package boltstore

import (
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
		records := collectionBucket(tx, collection, bucketRecords)
		if records == nil {
			return nil
		}
		c := records.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			visit(rec.json)
			n++
		}
		return nil
	})
	return n, err
}

// BucketBytes returns the bytes each of a collection's buckets takes in
// the file (its pages, in use or not), by bucket name: what gib-taxii
// bench reports of the store's parts.
func (s *Store) BucketBytes(ctx context.Context, collection string) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketIDs, bucketTypes, bucketValues} {
			if b := collectionBucket(tx, collection, name); b != nil {
				st := b.Stats()
				out[string(name)] = int64(st.BranchAlloc + st.LeafAlloc)
			}
		}
		return nil
	})
	return out, err
}
