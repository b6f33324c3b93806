package mapping

import (
	"strconv"
	"strings"
)

// patObjectPath is object-type:property followed by property and index steps.
type patObjectPath struct {
	pos   int // offset of the object type, for error messages
	typ   string
	steps []patPathStep // steps[0] is the first property, never an index
}

// patPathStep is a property name, or a list index when index is set ("*" or
// a decimal integer).
type patPathStep struct {
	name  string
	index string
}

// String writes the path canonically: no whitespace, and property names
// quoted only when they are not plain identifiers, so 'MD5' and MD5 give
// the same path.
func (op patObjectPath) String() string {
	var b strings.Builder
	b.WriteString(op.typ)
	b.WriteByte(':')
	for i, s := range op.steps {
		switch {
		case s.index != "":
			b.WriteString("[" + s.index + "]")
		case i > 0:
			b.WriteByte('.')
			fallthrough
		default:
			b.WriteString(patPropertyName(s.name))
		}
	}
	return b.String()
}

// patPropertyName quotes a property name unless it is a plain identifier.
func patPropertyName(name string) string {
	if isPatIdentifier(name) {
		return name
	}
	return quotePattern(name)
}

func isPatIdentifier(s string) bool {
	if s == "" || !isPatWordStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isPatWordChar(s[i]) {
			return false
		}
	}
	return true
}

// quotePattern writes s as a pattern string literal.
func quotePattern(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// validObjectType reports whether typ is lower-case letters, digits and
// hyphens, neither starting nor ending with a hyphen. Unlike STIX object
// type names proper, one or two characters are accepted: the length
// limit is a property of the object's definition, not of the pattern.
func validPatObjectType(typ string) bool {
	if typ == "" || typ[0] == '-' || typ[len(typ)-1] == '-' {
		return false
	}
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; c != '-' && !isPatDigit(c) && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// objectPath scans an object path at or after pos and returns it with the
// offset after it. Whitespace is allowed between the path's parts, as the
// spec grammar skips whitespace between all tokens; String drops it.
func (lx patLexer) objectPath(pos int) (patObjectPath, int, error) {
	start := lx.skipSpace(pos)
	i := start
	for i < len(lx.src) && (isPatWordChar(lx.src[i]) || lx.src[i] == '-') {
		i++
	}
	typ := lx.src[start:i]
	if typ == "" {
		t, err := lx.token(start)
		if err != nil {
			return patObjectPath{}, 0, err
		}
		return patObjectPath{}, 0, patErr(start, "expected object path, found %s", t.describe())
	}
	if !validPatObjectType(typ) {
		return patObjectPath{}, 0, patErr(start, "invalid object type '%s': want lower-case letters, digits and inner '-'%s",
			patTruncate(typ), patKeywordHint(typ))
	}
	if i = lx.skipSpace(i); lx.byteAt(i) != ':' {
		return patObjectPath{}, 0, patErr(i, "expected ':' after object type '%s'%s", patTruncate(typ), patKeywordHint(typ))
	}
	name, i, err := lx.propertyName(lx.skipSpace(i+1), "':'")
	if err != nil {
		return patObjectPath{}, 0, err
	}
	path := patObjectPath{pos: start, typ: typ, steps: []patPathStep{{name: name}}}
	for {
		step, end, err := lx.step(i)
		if err != nil || end < 0 {
			return path, i, err
		}
		path.steps = append(path.steps, step)
		i = end
	}
}

// step scans one '.name' or '[index]' step after pos, returning end -1
// when the path ends there.
func (lx patLexer) step(pos int) (patPathStep, int, error) {
	i := lx.skipSpace(pos)
	switch lx.byteAt(i) {
	case '.':
		name, end, err := lx.propertyName(lx.skipSpace(i+1), "'.'")
		return patPathStep{name: name}, end, err
	case '[':
		return lx.index(lx.skipSpace(i + 1))
	}
	return patPathStep{}, -1, nil
}

// propertyName scans an identifier or a quoted name at pos.
func (lx patLexer) propertyName(pos int, after string) (string, int, error) {
	c := lx.byteAt(pos)
	if c == '\'' {
		name, end, err := lx.unquote(pos)
		if err == nil && name == "" {
			err = patErr(pos, "empty property name")
		}
		return name, end, err
	}
	if !isPatWordStart(c) {
		return "", 0, patErr(pos, "expected property name after %s", after)
	}
	end := lx.wordEnd(pos)
	if lx.byteAt(end) == '-' {
		// Identifiers have no hyphen; the spec quotes such names.
		return "", 0, patErr(end, "unquoted property name '%s' cannot contain '-': quote it, e.g. 'SHA-256'", patTruncate(lx.src[pos:end]))
	}
	return lx.src[pos:end], end, nil
}

// index scans the inside of a list index step, whose '[' is already read:
// '*' or a non-negative decimal integer without leading zeros. Negative
// indexes, which the ANTLR grammar lexes, have no defined meaning.
func (lx patLexer) index(pos int) (patPathStep, int, error) {
	end := pos
	if lx.byteAt(pos) == '*' {
		end++
	} else {
		for end < len(lx.src) && isPatDigit(lx.src[end]) {
			end++
		}
	}
	idx := lx.src[pos:end]
	if idx == "" || len(idx) > 1 && idx[0] == '0' || lx.byteAt(end) == '.' || isPatWordChar(lx.byteAt(end)) {
		return patPathStep{}, 0, patErr(pos, "expected list index (a non-negative integer or '*') inside '[...]'")
	}
	if idx != "*" {
		if _, err := strconv.Atoi(idx); err != nil {
			return patPathStep{}, 0, patErr(pos, "list index %s is out of range", patTruncate(idx))
		}
	}
	if end = lx.skipSpace(end); lx.byteAt(end) != ']' {
		return patPathStep{}, 0, patErr(end, "expected ']' after list index")
	}
	return patPathStep{index: idx}, end + 1, nil
}
