package storage

// Write adds objects to one collection.
type Write struct {
	Collection string
	Objects    []Object
}

// Cursor is an opaque progress marker of one ingest source (a Group-IB
// collection), committed in the same transaction as the objects it covers
// so that the marker never runs ahead of the data.
type Cursor struct {
	Source string
	State  []byte
	// Update, if set, computes State inside the transaction from what the
	// batch's writes did, so that totals kept in the cursor are exact.
	Update func(CommitResult) ([]byte, error)
}

// Batch is one unit of work committed atomically: all its writes and its
// cursor, or nothing.
type Batch struct {
	Writes []Write
	// Cursor is optional.
	Cursor *Cursor
}

// CommitResult counts what a committed batch changed.
type CommitResult struct {
	// Added counts new collection entries.
	Added int
	// Unchanged counts objects whose id and version were already stored in
	// that collection, which are no-ops.
	Unchanged int
}
