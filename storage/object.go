package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// SpecVersion is the only STIX spec_version gib-taxii stores. ParseObject
// refuses anything else, so a query for another spec_version matches nothing.
const SpecVersion = "2.1"

// Object is one version of a STIX 2.1 object: its exact JSON bytes plus the
// index fields parsed out of them. Build one with ParseObject.
type Object struct {
	ID          string
	Type        string
	SpecVersion string
	// Version is the object's modified timestamp, else its created
	// timestamp, else zero for unversioned objects (most SCOs).
	Version time.Time
	// VersionText is the modified (else created) value exactly as the
	// object states it; empty for unversioned objects.
	VersionText string
	// JSON is the object, compact, as it is served.
	JSON []byte
}

// IsType reports whether s is a well-formed STIX type name. Types and ids
// are framed inside store keys, so only well-formed ones may reach a store.
// The checks below are hand-written rather than regular expressions: they
// run for every object ingested and every filter value, and were a tenth
// of ingest's CPU time as regexps. object_test.go checks them against the
// regular expressions they implement.
func IsType(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// IsID reports whether s is a well-formed STIX identifier: a type, "--"
// and a lower-case UUID.
func IsID(s string) bool {
	typ, id, ok := strings.Cut(s, "--")
	return ok && IsType(typ) && isUUID(id)
}

// isUUID accepts any RFC 4122 UUID in canonical lower-case form: STIX
// SDOs use version 4, SCOs version 5.
func isUUID(s string) bool {
	if len(s) != 36 || s[14] < '1' || s[14] > '8' || !strings.ContainsRune("89ab", rune(s[19])) {
		return false
	}
	for i := 0; i < 36; i++ {
		switch c := s[i]; i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// indexFields are the properties storage reads; everything else stays opaque.
type indexFields struct {
	Type        *string `json:"type"`
	ID          *string `json:"id"`
	SpecVersion *string `json:"spec_version"`
	Created     *string `json:"created"`
	Modified    *string `json:"modified"`
}

// ParseObject checks that raw is a STIX 2.1 object with a well-formed id,
// type, spec_version and timestamps, and returns it with its index fields.
// The returned Object owns a compacted copy of raw. Errors wrap
// ErrInvalidObject and name the offending property.
func ParseObject(raw []byte) (Object, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Object{}, fmt.Errorf("%w: not a JSON object", ErrInvalidObject)
	}
	var f indexFields
	if err := json.Unmarshal(trimmed, &f); err != nil {
		return Object{}, fmt.Errorf("%w: %v", ErrInvalidObject, err)
	}
	obj, err := f.object()
	if err != nil {
		return Object{}, fmt.Errorf("%w: %s", ErrInvalidObject, err)
	}
	var buf bytes.Buffer
	buf.Grow(len(trimmed))
	if err := json.Compact(&buf, trimmed); err != nil {
		return Object{}, fmt.Errorf("%w: %v", ErrInvalidObject, err)
	}
	obj.JSON = buf.Bytes()
	return obj, nil
}

// ObjectFromFields is ParseObject for a producer that built the JSON
// itself and states its index fields (empty: absent): the same checks of
// the fields, without decoding the JSON again (it is only validated, and
// must name the id). raw must be the compact JSON of an object with
// exactly these fields; the Object keeps it.
func ObjectFromFields(id, typ, specVersion, created, modified string, raw []byte) (Object, error) {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	f := indexFields{Type: opt(typ), ID: opt(id), SpecVersion: opt(specVersion), Created: opt(created), Modified: opt(modified)}
	obj, err := f.object()
	if err != nil {
		return Object{}, fmt.Errorf("%w: %s", ErrInvalidObject, err)
	}
	// The bytes are served as they are, inside every page that holds
	// them: they must be one JSON object, and the one the fields describe.
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return Object{}, fmt.Errorf("%w: not a JSON object", ErrInvalidObject)
	}
	if !bytes.Contains(raw, []byte(`"id":"`+id+`"`)) {
		return Object{}, fmt.Errorf("%w: the JSON is not object %s", ErrInvalidObject, id)
	}
	obj.JSON = raw
	return obj, nil
}

func (f indexFields) object() (Object, error) {
	if f.Type == nil || !IsType(*f.Type) {
		return Object{}, fmt.Errorf("type: missing or not 3-250 characters of a-z, 0-9 and '-'")
	}
	if f.ID == nil {
		return Object{}, fmt.Errorf("id: missing")
	}
	if !IsID(*f.ID) || !strings.HasPrefix(*f.ID, *f.Type+"--") {
		return Object{}, fmt.Errorf("id %q: must be %q followed by '--' and a lower-case UUID", *f.ID, *f.Type)
	}
	spec, err := f.specVersion()
	if err != nil {
		return Object{}, err
	}
	obj := Object{ID: *f.ID, Type: *f.Type, SpecVersion: spec}
	if err := f.version(&obj); err != nil {
		return Object{}, err
	}
	return obj, nil
}

// specVersion applies STIX 2.1's rule that SCOs may omit spec_version (it
// then means 2.1) while SDOs, SROs and marking definitions must state it. An
// object with created but no spec_version is most likely STIX 2.0.
func (f indexFields) specVersion() (string, error) {
	switch {
	case f.SpecVersion == nil && f.Created == nil:
		return SpecVersion, nil
	case f.SpecVersion == nil:
		return "", fmt.Errorf("spec_version: missing (STIX 2.0 objects are not stored)")
	case *f.SpecVersion != SpecVersion:
		return "", fmt.Errorf("spec_version %q: only %q is stored", *f.SpecVersion, SpecVersion)
	}
	return SpecVersion, nil
}

func (f indexFields) version(obj *Object) error {
	var created time.Time
	if f.Created != nil {
		t, err := ParseTimestamp(*f.Created)
		if err != nil {
			return fmt.Errorf("created: %w", err)
		}
		created, obj.Version, obj.VersionText = t, t, *f.Created
	}
	if f.Modified != nil {
		t, err := ParseTimestamp(*f.Modified)
		if err != nil {
			return fmt.Errorf("modified: %w", err)
		}
		if t.Before(created) {
			return fmt.Errorf("modified %s is before created %s", *f.Modified, *f.Created)
		}
		obj.Version, obj.VersionText = t, *f.Modified
	}
	return nil
}

// isTimestampShape checks YYYY-MM-DDTHH:MM:SS[.1-9 digits]Z.
func isTimestampShape(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 || len(s) > len(layout)+11 || s[len(s)-1] != 'Z' {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == 'd' && !isDigit(s[i]) || layout[i] != 'd' && s[i] != layout[i] {
			return false
		}
	}
	frac := s[len(layout) : len(s)-1]
	if frac == "" {
		return true
	}
	if frac[0] != '.' || len(frac) < 2 {
		return false
	}
	for i := 1; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParseTimestamp parses a STIX timestamp: RFC 3339 in UTC with an upper-case
// T and Z and up to nine fractional digits. Versions are stored to the
// microsecond, so a timestamp with non-zero digits below that is refused
// rather than silently merged with its neighbour.
func ParseTimestamp(s string) (time.Time, error) {
	if !isTimestampShape(s) {
		return time.Time{}, fmt.Errorf("%q is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z, at most 9 fractional digits)", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a STIX timestamp: %w", s, err)
	}
	if t.Nanosecond()%1000 != 0 {
		return time.Time{}, fmt.Errorf("%q is finer than a microsecond", s)
	}
	return t.UTC(), nil
}

// SameJSON reports whether two JSON texts are the same value: white
// space, key order and string escapes aside (numbers compare by their
// text). Clients that re-serialise an object they sent before (the Python
// stix2 library, MISP) send it back with its keys in another order.
func SameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	va, okA := decodeValue(a)
	vb, okB := decodeValue(b)
	return okA && okB && reflect.DeepEqual(va, vb)
}

func decodeValue(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v) == nil
}
