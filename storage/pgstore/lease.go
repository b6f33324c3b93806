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

// leaseClass is the first key of the advisory lock that makes one process
// the ingest leader; the second is the schema's hash, so that
// deployments in two schemas of one database each have their own leader.
const leaseClass = 0x67696269 // "gibi"

// ErrLeaseLost is a leader's commit refused because its lease is gone:
// another process may be leading by now.
var ErrLeaseLost = errors.New("the ingest lease is lost")

// Lease is the ingest leadership: a session advisory lock held on a
// connection of its own. It ends when the process or its connection dies
// (PostgreSQL then releases the lock, and another process takes it), or
// on Release.
type Lease struct {
	conn  *pgxpool.Conn
	epoch int64
	lost  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// AcquireLease waits until this process holds the ingest lease, trying
// again every retry, or until ctx ends. Database errors while trying are
// retried too; the last one is returned with ctx's.
func (s *Store) AcquireLease(ctx context.Context, retry time.Duration) (*Lease, error) {
	for {
		l, err := s.TryLease(ctx)
		if l != nil {
			return l, nil
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(ctx.Err(), err)
		case <-t.C:
		}
	}
}

// TryLease takes the ingest lease if no one holds it; nil if someone
// does. The new leader bumps the epoch, waiting for a former leader's
// commit still under way.
func (s *Store) TryLease(ctx context.Context) (*Lease, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))", leaseClass).Scan(&got); err != nil || !got {
		conn.Release()
		return nil, err
	}
	l := &Lease{conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	if err := conn.QueryRow(ctx, "UPDATE ingest_lease SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch").Scan(&l.epoch); err != nil {
		close(l.done)
		l.Release()
		return nil, fmt.Errorf("ingest lease epoch: %w", err)
	}
	go l.watch(time.Second, 5*time.Second)
	return l, nil
}

// watch checks the lease's connection every interval; when a ping fails
// or takes longer than timeout, the lease is lost. (A host that vanishes
// without closing its connection keeps its session, and the lock, until
// the server's TCP keepalives notice: see docs/DEPLOYMENT.md.)
func (l *Lease) watch(every, timeout time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
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
		select {
		case <-l.done: // the watch ended (or never started)
		default:
			close(l.stop)
			<-l.done
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", leaseClass); err != nil {
			// The session may be gone, lock and all; do not reuse it.
			_ = l.conn.Conn().Close(ctx)
		}
		l.conn.Release()
	})
}

// CommitAsLeader is Commit for the ingest leader: in the same
// transaction it reads the lease's epoch FOR SHARE and refuses to commit
// if a newer leader has bumped it. A new leader's bump waits for that
// share lock, so a former leader's commit either ends before the new
// leader's first one starts, or is refused.
func (s *Store) CommitAsLeader(ctx context.Context, l *Lease, b storage.Batch) (storage.CommitResult, error) {
	fence := func(ctx context.Context, tx pgx.Tx) error {
		var epoch int64
		if err := tx.QueryRow(ctx, "SELECT epoch FROM ingest_lease WHERE id = 1 FOR SHARE").Scan(&epoch); err != nil {
			return err
		}
		if epoch != l.epoch {
			return ErrLeaseLost
		}
		return nil
	}
	res, err := s.commit(ctx, b, fence)
	if errors.Is(err, ErrLeaseLost) {
		return res, fmt.Errorf("commit: %w (epoch %d)", ErrLeaseLost, l.epoch)
	}
	return res, err
}
