package boltstore

import (
	"context"
	"fmt"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// Exporter receives a whole store, for moving it to another backend
// (gib-taxii migrate): every version with its date_added and flags, the
// latest date_added each collection gave, the ingest cursors, the
// receipts, the generated collection ids and the paging key.
type Exporter interface {
	Record(collection string, r storage.Record, first, last bool) error
	LastAdded(collection string, last storage.Position) error
	Cursor(source string, state []byte) error
	Receipt(r storage.Receipt) error
	CollectionID(key, id string) error
	PagingKey(key []byte) error
}

// Export hands the whole store to e in one read transaction: a
// consistent copy while readers go on.
func (s *Store) Export(ctx context.Context, e Exporter) error {
	return s.view(func(tx *bolt.Tx) error {
		if err := e.PagingKey(bytesCopy(tx.Bucket(bucketMeta).Get(keyPagingKey))); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCollectionIDs).ForEach(func(k, v []byte) error { return e.CollectionID(string(k), string(v)) }); err != nil {
			return err
		}
		if err := tx.Bucket(bucketIngest).ForEach(func(k, v []byte) error { return e.Cursor(string(k), bytesCopy(v)) }); err != nil {
			return err
		}
		if b := tx.Bucket(bucketReceipts); b != nil {
			if err := b.ForEach(func(k, _ []byte) error {
				r, err := s.receiptIn(tx, string(k))
				if err != nil {
					return err
				}
				return e.Receipt(r)
			}); err != nil {
				return err
			}
		}
		for _, name := range collectionNames(tx) {
			if err := exportCollection(ctx, tx, string(name), e); err != nil {
				return fmt.Errorf("collection %s: %w", name, err)
			}
		}
		return nil
	})
}

func exportCollection(ctx context.Context, tx *bolt.Tx, name string, e Exporter) error {
	c := tx.Bucket(bucketCollections).Bucket([]byte(name))
	cw, err := collectionBuckets(c, false)
	if err != nil {
		return err
	}
	cur := cw.records.Cursor()
	n := 0
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := decodeRecord(v)
		if err != nil || len(k) != 8 {
			return fmt.Errorf("%w: record %x", errCorrupt, k)
		}
		r := storage.Record{ID: string(rec.id), DateAdded: stampAt(k).time(), Version: rec.version.time(),
			VersionText: string(rec.versionText), SpecVersion: string(rec.specVersion), JSON: bytesCopy(rec.json)}
		if err := e.Record(name, r, rec.flags&flagFirst != 0, rec.flags&flagLast != 0); err != nil {
			return err
		}
	}
	if last := lastAdded(c, cw.records); last != 0 {
		return e.LastAdded(name, storage.Position{DateAdded: last.time()})
	}
	return nil
}

func bytesCopy(b []byte) []byte { return append([]byte(nil), b...) }
