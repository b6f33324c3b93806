package mapping

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// PatternError is a syntax or semantic error in a STIX pattern. ParsePattern
// returns it for every error, so callers can use errors.As to get Pos.
type PatternError struct {
	Pos int    // 0-based byte offset of the problem in the pattern
	Msg string // what is wrong, without the position
}

// Error returns the message prefixed by the position, e.g.
// "position 17: expected ']' after comparison expression".
func (e *PatternError) Error() string {
	return fmt.Sprintf("position %d: %s", e.Pos, e.Msg)
}

// Pattern is a parsed STIX 2.1 pattern (STIX 2.1 §9). Its syntax tree is
// unexported: callers need what a pattern refers to, not how it is built.
type Pattern struct {
	root patNode
}

// String returns the pattern in canonical form: single spaces between
// tokens, parentheses as written, object paths as ObjectPaths gives them,
// strings re-escaped. Parsing the result yields an equal Pattern.
func (p *Pattern) String() string {
	if p == nil || p.root == nil {
		return ""
	}
	var b strings.Builder
	p.root.write(&b)
	return b.String()
}

// ObjectPaths returns the object paths the pattern compares or tests with
// EXISTS, in canonical form (e.g. file:hashes.'SHA-256'), each once, in
// order of first appearance.
func (p *Pattern) ObjectPaths() []string {
	if p == nil || p.root == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	p.root.each(func(c *patComparison) {
		if s := c.path.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	})
	return out
}

// ObservableTypes returns the distinct STIX Cyber-observable Object types
// the pattern refers to, sorted.
func (p *Pattern) ObservableTypes() []string {
	if p == nil || p.root == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	p.root.each(func(c *patComparison) {
		if !seen[c.path.typ] {
			seen[c.path.typ] = true
			out = append(out, c.path.typ)
		}
	})
	sort.Strings(out)
	return out
}

// patNode is an element of the syntax tree. Both levels, observation
// expressions and comparison expressions, share patChain and patGroup.
// Package-level names carry a pat prefix because the mapping package
// is shared with the mapping engine.
type patNode interface {
	write(b *strings.Builder)
	each(fn func(*patComparison)) // calls fn on every comparison, in order
}

// patChain is two or more operands joined by one of AND, OR, FOLLOWEDBY.
// The grammar's left-associative binary rules are kept as a flat list, in
// order, so that recursion depth is bounded by nesting (maxPatternDepth)
// and not by the length of a long OR list.
type patChain struct {
	op    string
	items []patNode
}

// patGroup is a parenthesised expression, kept so String preserves it.
type patGroup struct{ inner patNode }

// patObservation is [comparison expression].
type patObservation struct{ cmp patNode }

// patQualified is an observation expression followed by one qualifier.
type patQualified struct {
	inner patNode
	kind  string     // WITHIN, REPEATS or START
	a, b  patLiteral // the number, or START and STOP timestamps
}

// patComparison is path [NOT] op value, path [NOT] IN (set), or EXISTS path.
type patComparison struct {
	path  patObjectPath
	not   bool
	op    string // "=", "LIKE", ..., or "EXISTS"
	value patLiteral
	set   []patLiteral // for IN
}

type patLitKind int

const (
	patLitString patLitKind = iota
	patLitInt
	patLitFloat
	patLitBool
	patLitHex
	patLitBinary
	patLitTimestamp
)

// patLiteral is a constant. text is its source form; values are decoded only
// where the parser checks them.
type patLiteral struct {
	kind patLitKind
	pos  int
	text string
	str  string    // decoded value of a string
	num  float64   // value of an int or float
	ts   time.Time // value of a timestamp
}

// canonical writes strings re-escaped, everything else as written.
func (l patLiteral) canonical() string {
	if l.kind == patLitString {
		return quotePattern(l.str)
	}
	return l.text
}

func (n *patChain) write(b *strings.Builder) {
	for i, item := range n.items {
		if i > 0 {
			b.WriteString(" " + n.op + " ")
		}
		item.write(b)
	}
}

func (n *patChain) each(fn func(*patComparison)) {
	for _, item := range n.items {
		item.each(fn)
	}
}

func (n *patGroup) write(b *strings.Builder) {
	b.WriteByte('(')
	n.inner.write(b)
	b.WriteByte(')')
}

func (n *patGroup) each(fn func(*patComparison)) { n.inner.each(fn) }

func (n *patObservation) write(b *strings.Builder) {
	b.WriteByte('[')
	n.cmp.write(b)
	b.WriteByte(']')
}

func (n *patObservation) each(fn func(*patComparison)) { n.cmp.each(fn) }

func (n *patQualified) write(b *strings.Builder) {
	n.inner.write(b)
	switch n.kind {
	case "WITHIN":
		b.WriteString(" WITHIN " + n.a.text + " SECONDS")
	case "REPEATS":
		b.WriteString(" REPEATS " + n.a.text + " TIMES")
	default:
		b.WriteString(" START " + n.a.text + " STOP " + n.b.text)
	}
}

func (n *patQualified) each(fn func(*patComparison)) { n.inner.each(fn) }

func (n *patComparison) write(b *strings.Builder) {
	if n.op == "EXISTS" {
		b.WriteString("EXISTS " + n.path.String())
		return
	}
	b.WriteString(n.path.String())
	if n.not {
		b.WriteString(" NOT")
	}
	b.WriteString(" " + n.op + " ")
	if n.op != "IN" {
		b.WriteString(n.value.canonical())
		return
	}
	b.WriteByte('(')
	for i, l := range n.set {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(l.canonical())
	}
	b.WriteByte(')')
}

func (n *patComparison) each(fn func(*patComparison)) { fn(n) }

// patKeywordHint explains a lower-case keyword, the commonest slip in
// hand-written patterns, since the spec's keywords are case-sensitive.
func patKeywordHint(word string) string {
	if low := strings.ToLower(word); (low == "true" || low == "false") && word != low {
		return " (booleans are lower-case: " + low + ")"
	}
	switch up := strings.ToUpper(word); up {
	case word:
		return ""
	case "AND", "OR", "NOT", "FOLLOWEDBY", "WITHIN", "SECONDS", "REPEATS", "TIMES",
		"START", "STOP", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS":
		return " (keywords are upper-case: " + up + ")"
	}
	return ""
}

// CheckObjectModel checks what the grammar cannot: that every object path
// names a STIX 2.1 object type (or an x- custom one) and, for the types the
// engine knows, a property the type defines (x_ custom ones aside), as the
// OASIS validator does: [ipv4-addr:valu = '1.2.3.4'] parses but matches
// nothing.
func (p *Pattern) CheckObjectModel() error {
	if p == nil || p.root == nil {
		return nil
	}
	var err error
	p.root.each(func(c *patComparison) {
		if err != nil {
			return
		}
		spec, known := lookupAnyType(c.path.typ)
		switch {
		case !known:
			err = patErr(c.path.pos, "'%s' is not a STIX 2.1 object type%s", patTruncate(c.path.typ), suggest(c.path.typ, KnownTypes()))
		case len(c.path.steps) > 0 && !spec.allowsProperty(c.path.steps[0].name):
			err = patErr(c.path.pos, "'%s' is not a property of %s", patTruncate(c.path.steps[0].name), c.path.typ)
		}
	})
	return err
}

// suggest names the closest candidate, if one is close.
func suggest(got string, candidates []string) string {
	if best := Closest(got, candidates, 2); best != "" {
		return fmt.Sprintf(" (did you mean '%s'?)", best)
	}
	return ""
}

// Closest returns the candidate nearest to got within maxDist edits
// (Levenshtein), or "": the "did you mean" of every refusal.
func Closest(got string, candidates []string, maxDist int) string {
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		if d := levenshtein(got, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
