package mapping

import (
	"regexp/syntax"
	"strings"
)

// cmpAnd parses comparisons joined by AND and checks they share one object
// type: the spec requires it because AND inside an observation means the
// same object must satisfy both sides. The check is strict for an OR
// nested under AND too, e.g. "(a:x = 1 OR b:y = 2) AND a:z = 3" fails,
// since its b branch could never match.
func (p *patParser) cmpAnd() (patNode, error) {
	n, err := p.sequence("AND", p.cmpPrimary)
	if err != nil {
		return nil, err
	}
	if and, ok := n.(*patChain); ok {
		var first string
		and.each(func(c *patComparison) {
			if first == "" {
				first = c.path.typ
			} else if c.path.typ != first && err == nil {
				err = patErr(c.path.pos, "object type '%s' differs from '%s': comparisons joined by AND in one observation must share an object type",
					c.path.typ, first)
			}
		})
	}
	return n, err
}

// cmpPrimary parses a parenthesised comparison expression, EXISTS path, or
// a comparison. It looks at raw bytes rather than a token because an
// object path is not a token of the default lexing mode.
func (p *patParser) cmpPrimary() (patNode, error) {
	at := p.lx.skipSpace(p.pos)
	if p.lx.byteAt(at) == '(' {
		if err := p.nest(at); err != nil {
			return nil, err
		}
		p.pos, p.peeked = at+1, false
		inner, err := p.sequence("OR", p.cmpAnd)
		if err == nil {
			err = p.expect(patTokRParen, "')' after comparison expression")
		}
		p.depth--
		return &patGroup{inner: inner}, err
	}
	word := p.lx.src[at:p.lx.wordEnd(at)]
	if word == "NOT" {
		return nil, patErr(at, "NOT goes between the object path and the operator, e.g. a:b NOT = 1")
	}
	exists := word == "EXISTS"
	if exists {
		at += len("EXISTS")
	}
	path, end, err := p.lx.objectPath(at)
	if err != nil {
		return nil, err
	}
	p.pos, p.peeked = end, false
	if exists {
		return &patComparison{path: path, op: "EXISTS"}, nil
	}
	return p.comparisonTail(path)
}

// comparisonTail parses [NOT] operator operand after an object path.
func (p *patParser) comparisonTail(path patObjectPath) (patNode, error) {
	c := &patComparison{path: path}
	t, err := p.peek()
	if err == nil && t.kind == patTokWord && t.text == "NOT" {
		c.not = true
		p.advance()
		t, err = p.peek()
	}
	if err != nil {
		return nil, err
	}
	switch {
	case t.kind == patTokOp:
	case t.kind == patTokWord && isPatWordOperator(t.text):
	case c.not:
		return nil, patUnexpected(t, "comparison operator after NOT")
	default:
		return nil, patUnexpected(t, "comparison operator after object path")
	}
	c.op = t.text
	p.advance()
	if c.op == "IN" {
		c.set, err = p.set()
		return c, err
	}
	t, err = p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != patTokLit {
		return nil, patUnexpected(t, "literal after "+c.op)
	}
	p.advance()
	c.value = t.lit
	return c, checkPatOperand(c.op, t.lit)
}

func isPatWordOperator(w string) bool {
	switch w {
	case "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET":
		return true
	}
	return false
}

// checkPatOperand applies the spec's operand rules for op to a literal.
// MATCHES uses Go's RE2 syntax (regexp/syntax, Perl flags) where the spec
// names PCRE: patterns with backreferences, lookaround, possessive
// quantifiers or atomic groups are rejected although PCRE accepts them.
// They are rare in indicators, and a pattern this service cannot evaluate
// is better refused at ingest.
func checkPatOperand(op string, l patLiteral) error {
	switch op {
	case "=", "!=":
		return nil
	case "<", "<=", ">", ">=":
		if l.kind == patLitBool {
			return patErr(l.pos, "'%s' cannot compare a boolean", op)
		}
		return nil
	}
	if l.kind != patLitString {
		return patErr(l.pos, "%s requires a string literal", op)
	}
	if op == "MATCHES" {
		if _, err := syntax.Parse(l.str, syntax.Perl); err != nil {
			return patErr(l.pos, "MATCHES value is not a valid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	return nil
}

// set parses the parenthesised, non-empty literal set after IN. Integers
// and floats count as one kind, numbers; any other mix is an error.
func (p *patParser) set() ([]patLiteral, error) {
	t, err := p.peek()
	if err == nil && t.kind != patTokLParen {
		err = patUnexpected(t, "'(' to start the set after IN")
	}
	if err != nil {
		return nil, err
	}
	open := t.pos
	p.advance()
	var set []patLiteral
	for {
		if t, err = p.peek(); err != nil {
			return nil, err
		}
		if t.kind == patTokRParen && len(set) == 0 {
			return nil, patErr(open, "IN requires a non-empty set")
		}
		if t.kind != patTokLit {
			return nil, patUnexpected(t, "literal in set")
		}
		if len(set) > 0 && patSetClass(t.lit.kind) != patSetClass(set[0].kind) {
			return nil, patErr(t.pos, "set mixes %s and %s literals", patKindName(set[0].kind), patKindName(t.lit.kind))
		}
		set = append(set, t.lit)
		p.advance()
		if t, err = p.peek(); err != nil {
			return nil, err
		}
		p.advance()
		if t.kind == patTokRParen {
			return set, nil
		}
		if t.kind != patTokComma {
			return nil, patUnexpected(t, "',' or ')' in set")
		}
	}
}

func patKindName(k patLitKind) string {
	switch k {
	case patLitString:
		return "string"
	case patLitInt, patLitFloat:
		return "number"
	case patLitBool:
		return "boolean"
	case patLitHex:
		return "hex"
	case patLitBinary:
		return "binary"
	}
	return "timestamp"
}

func patSetClass(k patLitKind) patLitKind {
	if k == patLitFloat {
		return patLitInt
	}
	return k
}

// within parses WITHIN <positive number> SECONDS after n.
func (p *patParser) within(n patNode) (patNode, error) {
	p.advance()
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != patTokLit || t.lit.kind != patLitInt && t.lit.kind != patLitFloat {
		return nil, patUnexpected(t, "number of seconds after WITHIN")
	}
	if t.lit.num <= 0 {
		return nil, patErr(t.pos, "WITHIN requires a positive number of seconds, got %s", t.text)
	}
	p.advance()
	if err := p.expectWord("SECONDS", "SECONDS after WITHIN value"); err != nil {
		return nil, err
	}
	return &patQualified{inner: n, kind: "WITHIN", a: t.lit}, nil
}

// repeats parses REPEATS <positive integer> TIMES after n.
func (p *patParser) repeats(n patNode) (patNode, error) {
	p.advance()
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != patTokLit || t.lit.kind != patLitInt && t.lit.kind != patLitFloat {
		return nil, patUnexpected(t, "count after REPEATS")
	}
	if t.lit.kind != patLitInt || t.lit.num <= 0 {
		return nil, patErr(t.pos, "REPEATS requires a positive integer, got %s", t.text)
	}
	p.advance()
	if err := p.expectWord("TIMES", "TIMES after REPEATS count"); err != nil {
		return nil, err
	}
	return &patQualified{inner: n, kind: "REPEATS", a: t.lit}, nil
}

// startStop parses START t'..' STOP t'..' after n; STOP must be later.
func (p *patParser) startStop(n patNode) (patNode, error) {
	p.advance()
	start, err := p.timestamp("START")
	if err != nil {
		return nil, err
	}
	if err := p.expectWord("STOP", "STOP after START timestamp"); err != nil {
		return nil, err
	}
	stop, err := p.timestamp("STOP")
	if err != nil {
		return nil, err
	}
	if !start.ts.Before(stop.ts) {
		return nil, patErr(stop.pos, "STOP timestamp must be later than START timestamp")
	}
	return &patQualified{inner: n, kind: "START", a: start, b: stop}, nil
}

func (p *patParser) timestamp(after string) (patLiteral, error) {
	t, err := p.peek()
	if err != nil {
		return patLiteral{}, err
	}
	if t.kind != patTokLit || t.lit.kind != patLitTimestamp {
		return patLiteral{}, patUnexpected(t, "timestamp t'...' after "+after)
	}
	p.advance()
	return t.lit, nil
}
