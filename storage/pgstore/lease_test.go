package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/storagetest"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One process holds the ingest lease at a time; a holder whose session
// dies loses it, its next commit is refused, and another takes it over.
func TestLeaseIsExclusiveAndFenced(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	a := b.Open(t, storagetest.Options{}).(*Store)
	other := b.Open(t, storagetest.Options{}).(*Store)

	lease, err := a.AcquireLease(ctx, 100*time.Millisecond)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	_, err = other.AcquireLease(short, 100*time.Millisecond)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "the lease is held")

	batch := func(n int) storage.Batch {
		return storage.Batch{Writes: []storage.Write{{Collection: "c", Objects: []storage.Object{storagetest.Object(t, "indicator", n, storagetest.T0)}}}}
	}
	_, err = a.CommitAsLeader(ctx, lease, batch(1))
	require.NoError(t, err)

	// The holder's session dies (a crash, a cut network).
	conn, err := pgx.Connect(ctx, b.url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT pg_terminate_backend($1)", lease.pid)
	require.NoError(t, err)
	select {
	case <-lease.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the lost lease was not noticed")
	}
	_, err = a.CommitAsLeader(ctx, lease, batch(2))
	require.ErrorIs(t, err, ErrLeaseLost)
	lease.Release()

	took, err := other.AcquireLease(ctx, 100*time.Millisecond)
	require.NoError(t, err)
	defer took.Release()
	_, err = other.CommitAsLeader(ctx, took, batch(3))
	require.NoError(t, err)
	page, err := other.Records(ctx, storage.Query{Collection: "c"})
	require.NoError(t, err)
	assert.Equal(t, []string{storagetest.ID("indicator", 1), storagetest.ID("indicator", 3)}, storagetest.IDs(page), "the fenced commit wrote nothing")
}
