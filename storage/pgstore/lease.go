package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// leaseKey is the advisory lock that makes one process the ingest leader.
const leaseKey = 0x67696269 // "gibi"

// ErrLeaseLost is a leader's commit refused because its lease is gone:
// another process may be leading by now.
var ErrLeaseLost = errors.New("the ingest lease is lost")

// Lease is the ingest leadership: a session advisory lock held on a
// connection of its own. It ends when the process or its connection dies
// (PostgreSQL then releases the lock, and another process takes it), or
// on Release.
type Lease struct {
	conn *pgxpool.Conn
	pid  uint32
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// AcquireLease waits until this process holds the ingest lease, trying
// again every retry, or until ctx ends.
func (s *Store) AcquireLease(ctx context.Context, retry time.Duration) (*Lease, error) {
	for {
		if l, err := s.tryLease(ctx, retry); l != nil || ctx.Err() != nil {
			return l, errors.Join(err, ctx.Err())
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Store) tryLease(ctx context.Context, retry time.Duration) (*Lease, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", leaseKey).Scan(&got); err != nil || !got {
		conn.Release()
		return nil, err
	}
	l := &Lease{conn: conn, pid: conn.Conn().PgConn().PID(), lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.watch(max(retry/4, 250*time.Millisecond))
	return l, nil
}

// watch checks the lease's connection; when it fails, the lease is lost.
func (l *Lease) watch(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			err := l.conn.Ping(ctx)
			cancel()
			if err != nil {
				close(l.lost)
				return
			}
		}
	}
}

// Lost is closed when the lease is found gone.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Release gives the lease up. It is idempotent.
func (l *Lease) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", leaseKey); err != nil {
			// The session may be gone, lock and all; do not reuse it.
			_ = l.conn.Conn().Close(ctx)
		}
		l.conn.Release()
	})
}

// CommitAsLeader is Commit for the ingest leader: in the same transaction,
// it checks that the lease's session still holds the lock, so that a
// leader that lost its lease (and may have been replaced) stops before
// its next commit.
func (s *Store) CommitAsLeader(ctx context.Context, l *Lease, b storage.Batch) (storage.CommitResult, error) {
	fence := func(ctx context.Context, tx pgx.Tx) error {
		var held bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND classid = 0 AND objid = $1 AND objsubid = 1 AND pid = $2 AND granted)`, leaseKey, l.pid).Scan(&held)
		if err != nil {
			return err
		}
		if !held {
			return ErrLeaseLost
		}
		return nil
	}
	res, err := s.commit(ctx, b, fence)
	if errors.Is(err, ErrLeaseLost) {
		return res, fmt.Errorf("commit: %w", ErrLeaseLost)
	}
	return res, err
}
