package boltstore

import (
	"context"
	"fmt"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// receiptsPrunedPerCommit bounds the expired receipts one commit removes,
// so that a backlog (a server that was down for days) costs every commit
// a little rather than one commit a lot.
const receiptsPrunedPerCommit = 256

// putReceipt stores r, computed from what the batch did, and removes
// receipts that have expired.
func (s *Store) putReceipt(tx *bolt.Tx, r *storage.Receipt, res storage.CommitResult) error {
	if r == nil {
		return nil
	}
	body, err := r.BodyAfter(res)
	if err != nil {
		return err
	}
	receipts, err := tx.CreateBucketIfNotExists(bucketReceipts)
	if err != nil {
		return err
	}
	expiry, err := tx.CreateBucketIfNotExists(bucketReceiptExpiry)
	if err != nil {
		return err
	}
	if err := pruneReceipts(receipts, expiry, stampOf(s.now())); err != nil {
		return err
	}
	if receipts.Get([]byte(r.Key)) != nil {
		return fmt.Errorf("receipt %s: already stored", r.Key)
	}
	expires := stampOf(r.Expires)
	v := make([]byte, 0, 10+len(r.Owner)+len(body))
	v = append(expires.appendTo(v), byte(len(r.Owner)))
	v = append(append(v, r.Owner...), body...)
	if err := receipts.Put([]byte(r.Key), v); err != nil {
		return err
	}
	expiry.FillPercent = 0.9
	return expiry.Put(append(expires.appendTo(nil), r.Key...), nil)
}

// pruneReceipts removes up to receiptsPrunedPerCommit receipts that
// expired before now. Keys are collected first: bbolt cursors must not
// step over a deletion.
func pruneReceipts(receipts, expiry *bolt.Bucket, now stamp) error {
	var keys [][]byte
	c := expiry.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < receiptsPrunedPerCommit; k, _ = c.Next() {
		if len(k) < 8 || stampAt(k) >= now {
			break
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := receipts.Delete(k[8:]); err != nil {
			return err
		}
		if err := expiry.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Receipt returns the receipt stored under key, expired or not (the caller
// has the clock); storage.ErrNotFound if there is none.
func (s *Store) Receipt(ctx context.Context, key string) (storage.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return storage.Receipt{}, err
	}
	var r storage.Receipt
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		r, err = s.receiptIn(tx, key)
		return err
	})
	if err != nil {
		return storage.Receipt{}, fmt.Errorf("receipt %s: %w", key, err)
	}
	return r, nil
}

// receiptIn reads one receipt in a transaction.
func (s *Store) receiptIn(tx *bolt.Tx, key string) (storage.Receipt, error) {
	b := tx.Bucket(bucketReceipts)
	if b == nil {
		return storage.Receipt{}, storage.ErrNotFound
	}
	v := b.Get([]byte(key))
	if v == nil {
		return storage.Receipt{}, storage.ErrNotFound
	}
	if len(v) < 9 || len(v) < 9+int(v[8]) {
		return storage.Receipt{}, fmt.Errorf("%w: receipt %q", errCorrupt, key)
	}
	n := int(v[8])
	return storage.Receipt{Key: key, Expires: stampAt(v).time(), Owner: string(v[9 : 9+n]),
		JSON: append([]byte(nil), v[9+n:]...)}, nil
}

// checkReceipts: every receipt decodes and has its expiry entry, and every
// expiry entry names a receipt that expires then.
func checkReceipts(tx *bolt.Tx, rep *CheckReport) {
	receipts, expiry := tx.Bucket(bucketReceipts), tx.Bucket(bucketReceiptExpiry)
	if receipts == nil && expiry == nil {
		return
	}
	if receipts == nil || expiry == nil {
		rep.Add("receipts: one of the buckets %s and %s is missing", bucketReceipts, bucketReceiptExpiry)
		return
	}
	n := 0
	_ = receipts.ForEach(func(k, v []byte) error {
		n++
		if len(v) < 9 || len(v) < 9+int(v[8]) {
			rep.Add("receipt %q malformed", k)
			return nil
		}
		if expiry.Get(append(append([]byte(nil), v[:8]...), k...)) == nil {
			rep.Add("receipt %q has no expiry entry", k)
		}
		return nil
	})
	m := 0
	_ = expiry.ForEach(func(k, _ []byte) error {
		m++
		if v := receipts.Get(k[min(8, len(k)):]); len(k) < 8 || v == nil || len(v) < 8 || stampAt(v) != stampAt(k) {
			rep.Add("receipt expiry entry %q names no receipt expiring then", k)
		}
		return nil
	})
	if n != m {
		rep.Add("receipts: %d receipts, %d expiry entries", n, m)
	}
}
