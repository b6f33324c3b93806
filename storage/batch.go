package storage

import (
	"errors"
	"fmt"
	"time"
)

// Write adds objects to one collection.
type Write struct {
	Collection string
	Objects    []Object
	// Report asks for an ObjectReport per object in CommitResult.Reports.
	Report bool
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

// StateAfter is the state a store commits for the cursor after a batch
// whose writes did res: State, or what Update computes from res.
func (c *Cursor) StateAfter(res CommitResult) ([]byte, error) {
	if c.Source == "" {
		return nil, errors.New("cursor: empty source")
	}
	if c.Update == nil {
		return c.State, nil
	}
	state, err := c.Update(res)
	if err != nil {
		return nil, fmt.Errorf("cursor %s: %w", c.Source, err)
	}
	return state, nil
}

// Receipt is what one TAXII Add Objects request did (the TAXII status
// resource), committed in the same transaction as the objects it reports
// on: a receipt never claims an object the store does not hold.
type Receipt struct {
	// Key names the receipt; the caller makes it unique.
	Key string
	// Owner is the only user the receipt is shown to.
	Owner string
	// Expires is when the receipt stops being shown; the store removes
	// expired receipts as later ones are committed.
	Expires time.Time
	// JSON is the receipt. Build, if set, computes it inside the
	// transaction from what the batch's writes did.
	JSON  []byte
	Build func(CommitResult) ([]byte, error)
}

// Batch is one unit of work committed atomically: all its writes, its
// cursor and its receipt, or nothing.
type Batch struct {
	Writes []Write
	// Cursor and Receipt are optional.
	Cursor  *Cursor
	Receipt *Receipt
}

// CommitResult counts what a committed batch changed.
type CommitResult struct {
	// Added counts new collection entries.
	Added int
	// Unchanged counts objects whose id and version were already stored in
	// that collection, which are no-ops.
	Unchanged int
	// Reports holds, for each write that asked (Write.Report), what
	// happened to each of its objects; nil for the others.
	Reports [][]ObjectReport
}

// ObjectReport is what a commit did with one object.
type ObjectReport struct {
	// DateAdded is the entry's date_added: new, or the stored version's.
	DateAdded time.Time
	// New is set when the version was not stored before.
	New bool
	// Conflict is set when the stored version has other content: a
	// version is written once, so the object was not stored. It counts
	// in Unchanged.
	Conflict bool
}

// Deletion removes versions of one object from one collection.
type Deletion struct {
	Collection string
	ID         string
	// Versions selects the versions removed; the zero value selects all
	// of them (unlike a Query, where it means the last).
	Versions Versions
	// SpecVersions, if set, must include the stored spec_version.
	SpecVersions []string
}

// Select splits an object's stored versions, given oldest first by their
// effective version (an unversioned object's is its date_added), into
// the positions d removes and those it keeps. Only spec_version 2.1 is
// stored, so a spec_version filter selects every version or none.
func (d Deletion) Select(versions []time.Time) (doomed, kept []int) {
	all := make([]int, len(versions))
	for i := range all {
		all[i] = i
	}
	if otherSpecsOnly(d.SpecVersions) {
		return nil, all
	}
	v := d.Versions
	at := map[int64]bool{}
	for _, t := range v.At {
		at[t.UnixMicro()] = true
	}
	for i, version := range versions {
		if v.IsZero() || v.All || (v.First && i == 0) || (v.Last && i == len(versions)-1) || at[version.UnixMicro()] {
			doomed = append(doomed, i)
		} else {
			kept = append(kept, i)
		}
	}
	return doomed, kept
}

// BodyAfter checks the receipt and returns the JSON a store commits for
// it after a batch whose writes did res: JSON, or what Build computes.
func (r *Receipt) BodyAfter(res CommitResult) ([]byte, error) {
	if r.Key == "" || len(r.Owner) > 255 {
		return nil, errors.New("receipt: empty key or owner name over 255 bytes")
	}
	if r.Build == nil {
		return r.JSON, nil
	}
	body, err := r.Build(res)
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", r.Key, err)
	}
	return body, nil
}
