package storage

import "errors"

var (
	// ErrNotFound reports that a collection entry, object or cursor does not exist.
	ErrNotFound = errors.New("not found")

	// ErrInvalidObject reports JSON that is not a storable STIX 2.1 object.
	ErrInvalidObject = errors.New("invalid STIX 2.1 object")

	// ErrLocked reports that another process holds the store file open.
	ErrLocked = errors.New("database is locked by another gib-taxii")

	// ErrSchemaTooNew reports a store file written by a newer gib-taxii.
	ErrSchemaTooNew = errors.New("store schema is newer than this gib-taxii supports")
)

// ErrCorrupt reports a store file that is damaged: a page or record that
// cannot be what the store wrote. Restore a backup; writing on would make
// it worse.
var ErrCorrupt = errors.New("store file is damaged")
