package boltstore

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DamagedError is the error of an operation that met a damaged store file.
// It wraps storage.ErrCorrupt and tells the operator what to do.
type DamagedError struct {
	// Path is the store file.
	Path string
	// Detail is what was found, as bbolt or the record decoder said it.
	Detail string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("store %s is damaged (%s): stop gib-taxii, keep the damaged file for analysis, and restore the newest "+
		"snapshot from storage.backup.dir in its place (cp BACKUP.db %s); gib-taxii check --config FILE verifies a file",
		e.Path, e.Detail, e.Path)
}

func (e *DamagedError) Unwrap() error { return storage.ErrCorrupt }

// fault remembers the first damage met, so that every later write is
// refused (writing into a damaged B+tree spreads the damage) and health
// checks see it even when no request touches the damaged page again.
// broken is set when bbolt panicked in a write transaction: it may then
// hold its internal locks, so no call may enter it again.
type fault struct {
	err    atomic.Pointer[DamagedError]
	broken atomic.Bool
}

// Fault returns the damage this process has met in the store file, or nil.
// Reads go on (what is intact can still be served) unless bbolt failed in
// the middle of a write; writes are refused.
func (s *Store) Fault() error {
	if e := s.fault.err.Load(); e != nil {
		return e
	}
	return nil
}

func (s *Store) damaged(detail string) error {
	e := &DamagedError{Path: s.path, Detail: detail}
	s.fault.err.CompareAndSwap(nil, e)
	return e
}

// view runs fn in a read transaction; see guard.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	if s.fault.broken.Load() {
		return s.Fault()
	}
	return s.guard(false, func() error { return s.db.View(fn) })
}

// update runs fn in a write transaction, unless the file is known to be
// damaged; see guard.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.writeGate.RLock()
	defer s.writeGate.RUnlock()
	// After the gate: a page check that held it may have just found damage.
	if err := s.Fault(); err != nil {
		return err
	}
	return s.guard(true, func() error { return s.db.Update(fn) })
}

// guard runs op and turns what bbolt does on a damaged file into an error:
// bbolt panics on a page of the wrong kind ("assertion failed: Page
// expected to be ...") or indexes past a page's elements, and a page
// number past the end of the file faults in the memory map, which without
// SetPanicOnFault kills the process. The transaction is rolled back by
// bbolt's own deferred rollback before the panic reaches here. A panic
// that is neither a fault nor raised inside bbolt is a bug, not damage:
// it goes on up. Errors that say the file is damaged (a bad checksum, a
// record that does not decode) are recorded too.
func (s *Store) guard(write bool, op func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !isDamagePanic(r, debug.Stack()) {
			panic(r)
		}
		if write {
			s.fault.broken.Store(true)
		}
		err = s.damaged(fmt.Sprint(r))
	}()
	err = op()
	if isDamage(err) {
		var d *DamagedError
		if !errors.As(err, &d) {
			return fmt.Errorf("%w: %w", s.damaged(err.Error()), err)
		}
	}
	return err
}

func isDamage(err error) bool {
	return err != nil && (errors.Is(err, errCorrupt) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrInvalidMapping))
}

// isDamagePanic tells a damaged file from a bug: a memory fault (only the
// memory map can fault here), or a panic raised inside bbolt (its
// assertions, or an index out of a page's range).
func isDamagePanic(r any, stack []byte) bool {
	if e, ok := r.(runtime.Error); ok && strings.Contains(e.Error(), "fault") {
		return true
	}
	return panickedIn(stack, "go.etcd.io/bbolt")
}

// panickedIn reports whether the first frame below the panic that is not
// the runtime's own belongs to pkg.
func panickedIn(stack []byte, pkg string) bool {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic(") {
			continue
		}
		for _, f := range lines[i+1:] {
			if f == "" || strings.HasPrefix(f, "\t") || strings.HasPrefix(f, "runtime.") {
				continue
			}
			return strings.HasPrefix(f, pkg)
		}
	}
	return false
}

// walk reads every key and value of every bucket, one byte per page of
// each, inside the guard: bbolt's own Check runs in a goroutine of its
// own, where a page number past the map would fault beyond recovery, so
// every page it will visit is touched here first.
func walk(tx *bolt.Tx) error {
	var sink byte
	var visit func(b *bolt.Bucket)
	visit = func(b *bolt.Bucket) {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			sink ^= touch(k) ^ touch(v)
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					visit(sub)
				}
			}
		}
	}
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		sink ^= touch(name)
		visit(b)
		return nil
	})
	runtime.KeepAlive(sink) // the reads are the point: keep them
	return err
}

func touch(b []byte) byte {
	var x byte
	for i := 0; i < len(b); i += 4096 {
		x ^= b[i]
	}
	if len(b) > 0 {
		x ^= b[len(b)-1]
	}
	return x
}
