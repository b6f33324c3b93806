package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testReceiptCommittedWithObjects(t *testing.T, b Backend) {
	clock := NewClock()
	s := b.Open(t, Options{Now: clock.Now})
	_, err := s.Receipt(context.Background(), "r1")
	require.ErrorIs(t, err, storage.ErrNotFound, "a store without receipts")

	obj := Object(t, "indicator", 1, T0)
	res, err := s.Commit(context.Background(), storage.Batch{
		Writes: []storage.Write{{Collection: "c", Objects: []storage.Object{obj, obj}}},
		Receipt: &storage.Receipt{Key: "r1", Owner: "alice", Expires: clock.Now().Add(time.Hour),
			Build: func(res storage.CommitResult) ([]byte, error) {
				return json.Marshal(map[string]int{"added": res.Added, "unchanged": res.Unchanged})
			}},
	})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Added)

	r, err := s.Receipt(context.Background(), "r1")
	require.NoError(t, err)
	assert.Equal(t, "alice", r.Owner)
	assert.JSONEq(t, `{"added":1,"unchanged":1}`, string(r.JSON), "built from what the commit did")
	assert.True(t, r.Expires.Equal(clock.Now().Add(time.Hour)))
}

// A receipt that cannot be built fails the whole commit: objects and
// receipt are one transaction.
func testReceiptFailureRollsBackObjects(t *testing.T, b Backend) {
	clock := NewClock()
	s := b.Open(t, Options{Now: clock.Now})
	_, err := s.Commit(context.Background(), storage.Batch{
		Writes: []storage.Write{{Collection: "c", Objects: []storage.Object{Object(t, "indicator", 1, T0)}}},
		Receipt: &storage.Receipt{Key: "r1", Build: func(storage.CommitResult) ([]byte, error) {
			return nil, fmt.Errorf("boom")
		}},
	})
	require.ErrorContains(t, err, "boom")
	assert.Empty(t, MustRecords(t, s, storage.Query{Collection: "c"}).Records)
	_, err = s.Receipt(context.Background(), "r1")
	require.ErrorIs(t, err, storage.ErrNotFound)

	// A key is used once.
	commit := func() error {
		_, err := s.Commit(context.Background(), storage.Batch{Receipt: &storage.Receipt{Key: "r2", Expires: clock.Now().Add(time.Hour), JSON: []byte(`{}`)}})
		return err
	}
	require.NoError(t, commit())
	require.ErrorContains(t, commit(), "already stored")
}

func testPruneReceiptsWithoutWrites(t *testing.T, b Backend) {
	clock := NewClock()
	s := b.Open(t, Options{Now: clock.Now})
	require.NoError(t, s.PruneReceipts(context.Background()), "a store without receipts")
	_, err := s.Commit(context.Background(), storage.Batch{Receipt: &storage.Receipt{Key: "a", Expires: clock.Now().Add(time.Hour), JSON: []byte(`{}`)}})
	require.NoError(t, err)
	require.NoError(t, s.PruneReceipts(context.Background()))
	_, err = s.Receipt(context.Background(), "a")
	require.NoError(t, err, "not expired yet")
	clock.Advance(2 * time.Hour)
	require.NoError(t, s.PruneReceipts(context.Background()))
	_, err = s.Receipt(context.Background(), "a")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

var receiptTests = []test{
	{"ReceiptCommittedWithObjects", testReceiptCommittedWithObjects},
	{"ReceiptFailureRollsBackObjects", testReceiptFailureRollsBackObjects},
	{"PruneReceiptsWithoutWrites", testPruneReceiptsWithoutWrites},
}
