package boltstore

import (
	"errors"
	"fmt"
	"runtime/debug"
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
type fault struct{ err atomic.Pointer[DamagedError] }

// Fault returns the damage this process has met in the store file, or nil.
// Reads go on (what is intact can still be served); writes are refused.
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
	return s.guard(func() error { return s.db.View(fn) })
}

// update runs fn in a write transaction, unless the file is known to be
// damaged; see guard.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	if err := s.Fault(); err != nil {
		return err
	}
	return s.guard(func() error { return s.db.Update(fn) })
}

// guard runs op and turns what bbolt does on a damaged file into an error:
// bbolt panics on a page of the wrong kind ("assertion failed: Page
// expected to be ...") and a page number past the end of the file faults
// in the memory map, which without SetPanicOnFault kills the process. The
// transaction is rolled back by bbolt's own deferred rollback before the
// panic reaches here. Errors that say the same (a bad checksum, a record
// that does not decode) are recorded too.
func (s *Store) guard(op func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = s.damaged(fmt.Sprint(r))
		}
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
