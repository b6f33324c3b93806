package loadtest

import (
	"bytes"
	"encoding/json"
	"errors"
)

// envelope is what a scan of one TAXII envelope found: the number of
// elements of its top-level "objects", and its top-level "more" and "next".
type envelope struct {
	objects int
	more    bool
	next    string
}

var (
	errNotObject      = errors.New("body is not a JSON object")
	errTruncated      = errors.New("body ends inside a JSON value")
	errEmptyBody      = errors.New("body is empty")
	errTrailing       = errors.New("data after the JSON object")
	errUnbalanced     = errors.New("unbalanced brackets")
	errDuplicateObjs  = errors.New(`two top-level "objects" keys`)
	errNextTooLong    = errors.New(`"next" is longer than 64 KiB`)
	errNotObjectsList = errors.New(`"objects" is neither a list nor null`)
)

// maxCapture bounds each captured key or value: keys, ids and timestamps
// are short, and a next token longer than this is refused.
const maxCapture = 64 << 10

// key names the keys the scanner acts on; every other key is keyOther.
type key uint8

const (
	keyOther key = iota
	keyMore
	keyNext
	keyObjects
	keyID
	keyModified
	keyCreated
)

// capture says where the bytes being read go when they end.
type capture uint8

const (
	capNone capture = iota
	capKey
	capMore
	capNext
	capID
	capModified
	capCreated
)

// scanner reads a TAXII envelope as a byte stream, one chunk per Write,
// without building it: the load generator must outrun the servers it
// measures, and decoding every STIX object (even into json.RawMessage)
// would cost more than the server spends sending it. It tracks only string
// and escape state, nesting depth, and the keys at two levels: the
// envelope's own (depth 1: "more", "next", "objects"), and, when onObject
// is set, those of each element of "objects" (depth 3: "id", "modified",
// "created"). Strings are skipped with bytes.IndexByte.
//
// It is not a validator: it assumes well-formed JSON and reports only
// what a truncated or wrong body shows (unbalanced brackets, an unclosed
// string, a top level that is not one object). As with encoding/json, the
// last of repeated keys wins, except "objects", which is refused when
// repeated since its elements have been counted already.
//
// A scanner is used by one goroutine; reset readies it for the next body
// and keeps its buffers.
type scanner struct {
	// onObject, if set, gets each element of "objects" that is a JSON
	// object: its "id" and its version ("modified", else "created", else
	// empty), valid only during the call.
	onObject func(id, version []byte)

	env                         envelope
	err                         error
	depth                       int
	started, done               bool
	sawObjects                  bool
	inObjects                   bool // inside the top-level "objects" list
	elemObject                  bool // the current element of it is an object
	expectKey                   bool // at a key level, the next string is a key
	key1, key3                  key  // the current key at depth 1 and 3
	inString, escaped, inScalar bool
	target                      capture
	buf                         []byte
	bufEscaped, overflow        bool
	id, modified, created       []byte
}

// reset readies s for a new body.
func (s *scanner) reset() {
	*s = scanner{onObject: s.onObject, buf: s.buf[:0], id: s.id[:0], modified: s.modified[:0], created: s.created[:0]}
}

// Write scans the next chunk of the body. It returns an error, and then
// keeps returning it, once the body cannot be an envelope.
func (s *scanner) Write(b []byte) (int, error) {
	for i := 0; i < len(b) && s.err == nil; i++ {
		if s.inString {
			i = s.scanString(b, i)
			continue
		}
		c := b[i]
		if s.inScalar {
			if !isDelim(c) {
				s.add(b[i : i+1])
				continue
			}
			s.endScalar()
		}
		s.structural(c)
		if s.inScalar {
			s.add(b[i : i+1])
		}
	}
	if s.err != nil {
		return 0, s.err
	}
	return len(b), nil
}

// finish reports what the whole body held.
func (s *scanner) finish() (envelope, error) {
	if s.inScalar {
		s.endScalar()
	}
	switch {
	case s.err != nil:
		return envelope{}, s.err
	case !s.started:
		return envelope{}, errEmptyBody
	case s.inString || s.depth != 0 || !s.done:
		return envelope{}, errTruncated
	}
	return s.env, nil
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

// scanString consumes string bytes from b[i:]. It returns the index of the
// closing quote, or len(b) when the string goes on in the next chunk.
func (s *scanner) scanString(b []byte, i int) int {
	rest := b[i:]
	end := bytes.IndexByte(rest, '"')
	seg := rest
	if end >= 0 {
		seg = rest[:end]
	}
	// The common case: no escape before the next quote, so that quote
	// closes the string.
	if !s.escaped && bytes.IndexByte(seg, '\\') < 0 {
		s.add(seg)
		if end < 0 {
			return len(b)
		}
		s.endString()
		return i + end
	}
	start := i
	for ; i < len(b); i++ {
		switch {
		case s.escaped:
			s.escaped = false
		case b[i] == '\\':
			s.escaped, s.bufEscaped = true, true
		case b[i] == '"':
			s.add(b[start:i])
			s.endString()
			return i
		}
	}
	s.add(b[start:])
	return len(b)
}

// structural handles one byte outside strings and scalars.
func (s *scanner) structural(c byte) {
	switch c {
	case ' ', '\t', '\n', '\r':
	case '{', '[':
		s.valueStart(c)
		s.depth++
		s.opened(c)
	case '}', ']':
		s.closed()
	case ':':
		if s.keyLevel() {
			s.expectKey = false
		}
	case ',':
		if s.keyLevel() {
			s.expectKey = true
		}
	case '"':
		s.inString = true
		if s.keyLevel() && s.expectKey {
			s.target = capKey
		} else {
			s.valueStart(c)
		}
	default:
		s.valueStart(c)
		s.inScalar = true
	}
}

// keyLevel reports whether the innermost open value is one whose keys
// matter: the envelope, or an element of its "objects" when ids are wanted.
func (s *scanner) keyLevel() bool {
	return s.depth == 1 || s.depth == 3 && s.inObjects && s.elemObject && s.onObject != nil
}

// valueStart sees a value begin with byte c, before a container opens.
func (s *scanner) valueStart(c byte) {
	switch {
	case s.depth == 0:
		if s.started {
			s.err = errTrailing
			return
		}
		s.started = true
		if c != '{' {
			s.err = errNotObject
		}
	case s.depth == 1:
		s.envelopeValue(c)
	case s.depth == 2 && s.inObjects:
		s.env.objects++
		s.elemObject = c == '{'
		s.id, s.modified, s.created = s.id[:0], s.modified[:0], s.created[:0]
	case s.depth == 3 && s.inObjects && s.elemObject && s.onObject != nil:
		s.elementValue(c)
	}
}

// envelopeValue starts the value of the envelope's current key.
func (s *scanner) envelopeValue(c byte) {
	switch s.key1 {
	case keyMore:
		s.env.more = false
		if c != '"' && c != '{' && c != '[' {
			s.target = capMore
		}
	case keyNext:
		s.env.next = ""
		if c == '"' {
			s.target = capNext
		}
	case keyObjects:
		if s.sawObjects {
			s.err = errDuplicateObjs
		}
		s.sawObjects = true
		if c != '[' && c != 'n' {
			s.err = errNotObjectsList
		}
	}
}

// elementValue starts the value of an element's current key: as with
// encoding/json, a later "id" replaces an earlier one, even with a
// non-string that then counts as absent.
func (s *scanner) elementValue(c byte) {
	var dst *[]byte
	switch s.key3 {
	case keyID:
		dst, s.target = &s.id, capID
	case keyModified:
		dst, s.target = &s.modified, capModified
	case keyCreated:
		dst, s.target = &s.created, capCreated
	default:
		return
	}
	*dst = (*dst)[:0]
	if c != '"' {
		s.target = capNone
	}
}

// opened runs after a container opened at the new depth.
func (s *scanner) opened(c byte) {
	switch {
	case s.depth == 1:
		s.expectKey = true
	case s.depth == 2 && s.key1 == keyObjects && c == '[':
		s.inObjects = true
	case s.depth == 3 && s.inObjects && c == '{':
		s.expectKey = true
	}
}

// closed handles a closing bracket.
func (s *scanner) closed() {
	switch {
	case s.depth == 0:
		s.err = errUnbalanced
		return
	case s.depth == 3 && s.inObjects && s.elemObject && s.onObject != nil:
		version := s.modified
		if len(version) == 0 {
			version = s.created
		}
		s.onObject(s.id, version)
	case s.depth == 2 && s.inObjects:
		s.inObjects = false
	case s.depth == 1:
		s.done = true
	}
	s.depth--
	if s.keyLevel() {
		s.expectKey = false // a value ended: a comma or the close comes next
	}
}

// add appends captured bytes, if a capture is on.
func (s *scanner) add(b []byte) {
	if s.target == capNone || s.overflow {
		return
	}
	if len(s.buf)+len(b) > maxCapture {
		s.overflow = true
		return
	}
	s.buf = append(s.buf, b...)
}

// endString ends a string and files what was captured of it.
func (s *scanner) endString() {
	s.inString = false
	if s.target != capNone {
		s.file(s.text())
	}
	s.endCapture()
}

func (s *scanner) endScalar() {
	s.inScalar = false
	if s.target == capMore {
		s.env.more = string(s.buf) == "true"
	}
	s.endCapture()
}

func (s *scanner) endCapture() {
	s.target, s.buf, s.bufEscaped, s.overflow = capNone, s.buf[:0], false, false
}

// file stores a captured string where its target says.
func (s *scanner) file(text []byte) {
	switch s.target {
	case capKey:
		k := keyOf(text, s.overflow)
		if s.depth == 1 {
			s.key1 = k
		} else {
			s.key3 = k
		}
	case capNext:
		if s.overflow {
			s.err = errNextTooLong
		}
		s.env.next = string(text)
	case capID:
		s.id = append(s.id, text...)
	case capModified:
		s.modified = append(s.modified, text...)
	case capCreated:
		s.created = append(s.created, text...)
	}
}

// text is the captured string, unescaped. Escapes are rare in keys, ids,
// timestamps and next tokens, so encoding/json decodes them then.
func (s *scanner) text() []byte {
	if !s.bufEscaped || s.overflow {
		return s.buf
	}
	quoted := make([]byte, 0, len(s.buf)+2)
	quoted = append(append(append(quoted, '"'), s.buf...), '"')
	var str string
	if err := json.Unmarshal(quoted, &str); err != nil {
		return s.buf
	}
	return []byte(str)
}

func keyOf(name []byte, overflow bool) key {
	if overflow {
		return keyOther
	}
	switch string(name) {
	case "more":
		return keyMore
	case "next":
		return keyNext
	case "objects":
		return keyObjects
	case "id":
		return keyID
	case "modified":
		return keyModified
	case "created":
		return keyCreated
	}
	return keyOther
}
