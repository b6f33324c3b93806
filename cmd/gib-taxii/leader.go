package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/pgstore"
)

// leaseRetry is how often a replica that does not lead asks for the
// ingest lease: a new leader takes over within it (well within any poll
// interval, which is at least 10 s) after the leader dies.
const leaseRetry = 2 * time.Second

// leaderFence is ingest's store when several replicas share PostgreSQL:
// its commits are the lease holder's, checked in their own transaction.
type leaderFence struct {
	store *pgstore.Store
	lease atomic.Pointer[pgstore.Lease]
}

func (f *leaderFence) Cursor(ctx context.Context, source string) ([]byte, error) {
	return f.store.Cursor(ctx, source)
}

func (f *leaderFence) Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error) {
	l := f.lease.Load()
	if l == nil {
		return storage.CommitResult{}, fmt.Errorf("commit: %w", pgstore.ErrLeaseLost)
	}
	return f.store.CommitAsLeader(ctx, l, b)
}

// leading reports whether this replica holds the ingest lease.
func (f *leaderFence) leading() bool { return f.lease.Load() != nil }

// leadIngest runs ingest only while this replica holds the lease: it
// waits for it, runs the loops, stops them when the lease is lost, and
// waits again, until ctx ends.
func (a *app) leadIngest(ctx context.Context) {
	for ctx.Err() == nil {
		lease, err := a.fence.store.AcquireLease(ctx, leaseRetry)
		if err != nil {
			return // ctx ended
		}
		a.log.Info("leading ingest: this replica holds the ingest lease")
		a.fence.lease.Store(lease)
		runCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lease.Lost():
				a.log.Warn("the ingest lease is lost: ingest stops here, another replica takes over")
				cancel()
			case <-runCtx.Done():
			}
		}()
		_ = a.runner.Run(runCtx)
		cancel()
		a.fence.lease.Store(nil)
		lease.Release()
	}
}

// ingestRole is this replica's part in /readyz: "" without replicas.
func (a *app) ingestRole() string {
	switch {
	case a.fence == nil || a.runner == nil:
		return ""
	case a.fence.leading():
		return "leader"
	}
	return "standby"
}
