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
	_, err = conn.Exec(ctx, "SELECT pg_terminate_backend($1)", lease.conn.Conn().PgConn().PID())
	require.NoError(t, err)
	select {
	case <-lease.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the lost lease was not noticed")
	}
	lease.Release()
	took, err := other.AcquireLease(ctx, 100*time.Millisecond)
	require.NoError(t, err)
	defer took.Release()
	_, err = a.CommitAsLeader(ctx, lease, batch(2))
	require.ErrorIs(t, err, ErrLeaseLost, "the former leader's commit after the new leader took over")
	_, err = other.CommitAsLeader(ctx, took, batch(3))
	require.NoError(t, err)
	page, err := other.Records(ctx, storage.Query{Collection: "c"})
	require.NoError(t, err)
	assert.Equal(t, []string{storagetest.ID("indicator", 1), storagetest.ID("indicator", 3)}, storagetest.IDs(page), "the fenced commit wrote nothing")
}

// A former leader's commit that began before the new leader took over
// ends before the new leader's first commit, or is refused: never after.
func TestLeaseFencesACommitInFlight(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	a := b.Open(t, storagetest.Options{}).(*Store)
	other := b.Open(t, storagetest.Options{}).(*Store)
	old, err := a.AcquireLease(ctx, 100*time.Millisecond)
	require.NoError(t, err)

	// The former leader's commit holds the epoch FOR SHARE...
	tx, err := a.pool.Begin(ctx)
	require.NoError(t, err)
	var epoch int64
	require.NoError(t, tx.QueryRow(ctx, "SELECT epoch FROM ingest_lease WHERE id = 1 FOR SHARE").Scan(&epoch))
	// ...when its lease is lost and another process asks for it.
	old.Release()
	took := make(chan *Lease, 1)
	go func() {
		l, err := other.AcquireLease(ctx, 50*time.Millisecond)
		assert.NoError(t, err)
		took <- l
	}()
	select {
	case <-took:
		t.Fatal("the new leader took over while a former leader's commit was under way")
	case <-time.After(500 * time.Millisecond):
	}
	require.NoError(t, tx.Commit(ctx)) // the old commit ends first
	l := <-took
	defer l.Release()
	assert.Equal(t, epoch+1, l.epoch)
	_, err = a.CommitAsLeader(ctx, old, storage.Batch{Cursor: &storage.Cursor{Source: "s", State: []byte("old")}})
	require.ErrorIs(t, err, ErrLeaseLost)
	_, err = other.CommitAsLeader(ctx, l, storage.Batch{Cursor: &storage.Cursor{Source: "s", State: []byte("new")}})
	require.NoError(t, err)
	state, err := other.Cursor(ctx, "s")
	require.NoError(t, err)
	assert.Equal(t, "new", string(state))
}

// Two deployments in two schemas of one database each have a leader.
func TestLeasePerSchema(t *testing.T) {
	ctx := context.Background()
	a := newBackend(t).Open(t, storagetest.Options{}).(*Store)
	b := newBackend(t).Open(t, storagetest.Options{}).(*Store)
	la, err := a.TryLease(ctx)
	require.NoError(t, err)
	require.NotNil(t, la)
	defer la.Release()
	lb, err := b.TryLease(ctx)
	require.NoError(t, err)
	require.NotNil(t, lb, "the other schema's lease is its own")
	defer lb.Release()
}
