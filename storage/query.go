package storage

import (
	"errors"
	"slices"
	"time"
)

// Versions selects which versions of each object a Query returns, per the
// TAXII match[version] filter. The zero value means "last", the TAXII default.
type Versions struct {
	All   bool
	First bool
	Last  bool
	// At lists exact versions (the object's modified, else created).
	At []time.Time
}

// IsZero reports whether no selection was made, which means Last.
func (v Versions) IsZero() bool {
	return !v.All && !v.First && !v.Last && len(v.At) == 0
}

// Position is a resume point inside one collection: every entry whose
// date_added is at or before DateAdded has already been considered. Because
// date_added is unique per collection, a position alone is a lossless resume
// point whatever filters or page size the next request uses.
type Position struct {
	DateAdded time.Time
}

// IsZero reports whether p is the start of the collection.
func (p Position) IsZero() bool { return p.DateAdded.IsZero() }

// Query selects entries of one collection in ascending date_added order.
// Empty filter lists match everything.
type Query struct {
	Collection string
	// AddedAfter and Resume are both exclusive lower bounds on date_added;
	// the later of the two applies.
	AddedAfter time.Time
	Resume     Position
	// Limit is the most records returned; the store also caps it.
	Limit        int
	IDs          []string
	Types        []string
	Versions     Versions
	SpecVersions []string
	// WithoutObjects skips copying the object JSON, for manifests.
	WithoutObjects bool
	// Emit, if set, is handed each returned record's JSON, in order,
	// inside the read, instead of a copy in Record.JSON: a server writes
	// it straight into its response. The bytes are valid only during the
	// call.
	Emit func(json []byte)
}

// Record is one collection entry: one version of one object, as the
// objects, manifest and versions endpoints report it.
type Record struct {
	ID          string
	DateAdded   time.Time
	Version     time.Time
	VersionText string
	SpecVersion string
	// JSON is nil when the query set WithoutObjects.
	JSON []byte
}

// Page is the result of a Query. When More is set, Next resumes after the
// last entry the store examined, which may lie beyond the last record
// returned when trailing entries were filtered out.
type Page struct {
	Records []Record
	More    bool
	Next    Position
}

// Collection describes a TAXII collection. Collections are defined by the
// operator's configuration; the store keeps their entries under ID.
type Collection struct {
	ID          string
	Alias       string
	Title       string
	Description string
}

// Runnable returns an error for a query no store can run (no
// collection), and reports with none a query that matches nothing: one
// asking only for spec_versions other than 2.1, the only one stored.
func (q Query) Runnable() (none bool, err error) {
	if q.Collection == "" {
		return false, errors.New("records: empty collection id")
	}
	return otherSpecsOnly(q.SpecVersions), nil
}

// otherSpecsOnly reports a spec_version filter that excludes 2.1, the only
// spec_version stored: it selects nothing.
func otherSpecsOnly(specs []string) bool {
	return len(specs) > 0 && !slices.Contains(specs, SpecVersion)
}

// PageLimit is how many records a page holds: Limit, capped by max, and
// max when Limit is not positive.
func (q Query) PageLimit(max int) int {
	if q.Limit <= 0 || q.Limit > max {
		return max
	}
	return q.Limit
}

// From is the first date_added a query may return, in whole microseconds
// (what stores keep): just after the later of AddedAfter and Resume. ok
// is false when neither is set.
func (q Query) From() (from time.Time, ok bool) {
	after := q.AddedAfter
	if !q.Resume.IsZero() && q.Resume.DateAdded.After(after) {
		after = q.Resume.DateAdded
	}
	if after.IsZero() {
		return time.Time{}, false
	}
	// added_after may carry nanoseconds: entries are whole microseconds,
	// so "strictly after" starts at the next whole microsecond.
	return after.Truncate(time.Microsecond).Add(time.Microsecond), true
}
