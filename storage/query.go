package storage

import "time"

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
