package mapping

import (
	"unicode/utf8"
)

// maxPatternDepth bounds nesting of brackets and parentheses, so that a
// hostile feed cannot make the recursive descent exhaust the stack.
const maxPatternDepth = 100

// ParsePattern parses a STIX 2.1 pattern (STIX 2.1 §9) and checks the
// rules the grammar alone does not express: positive WITHIN and REPEATS
// values, START before STOP, one object type across AND inside an
// observation, and operand types of each operator. Every error is a
// *PatternError.
//
// Precedence follows the spec's grammar. Between observations AND binds
// tighter than OR, and OR tighter than FOLLOWEDBY; inside an observation
// AND binds tighter than OR; all are left-associative. Qualifiers bind
// tightest: "[a:x = 1] AND [b:y = 2] WITHIN 5 SECONDS" qualifies only the
// second observation, and qualifying both needs parentheses.
func ParsePattern(s string) (*Pattern, error) {
	if !utf8.ValidString(s) {
		for i := 0; ; {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, patErr(i, "pattern is not valid UTF-8")
			}
			i += n
		}
	}
	p := &patParser{lx: patLexer{src: s}}
	if p.lx.skipSpace(0) == len(s) {
		return nil, patErr(0, "empty pattern")
	}
	root, err := p.sequence("FOLLOWEDBY", p.obsOr)
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != patTokEOF {
		return nil, patErr(t.pos, "unexpected %s after observation expression%s", t.describe(), patKeywordHint(t.text))
	}
	return &Pattern{root: root}, nil
}

// patParser is a recursive-descent parser over patLexer. Tokens are lexed
// lazily at pos, because where an object path starts the parser must scan
// in path mode instead.
type patParser struct {
	lx     patLexer
	pos    int // offset of the first unconsumed byte
	depth  int
	peeked bool
	tok    patToken
	tokErr error
}

func (p *patParser) peek() (patToken, error) {
	if !p.peeked {
		p.tok, p.tokErr = p.lx.token(p.pos)
		p.peeked = true
	}
	return p.tok, p.tokErr
}

// advance consumes the peeked token.
func (p *patParser) advance() {
	p.pos, p.peeked = p.tok.end, false
}

// accept consumes the next token if it is the keyword kw.
func (p *patParser) accept(kw string) (bool, error) {
	t, err := p.peek()
	if err != nil || t.kind != patTokWord || t.text != kw {
		return false, err
	}
	p.advance()
	return true, nil
}

// expect consumes a token of kind k or reports what was found instead.
func (p *patParser) expect(k patTokKind, what string) error {
	t, err := p.peek()
	if err != nil {
		return err
	}
	if t.kind != k {
		return patUnexpected(t, what)
	}
	p.advance()
	return nil
}

func (p *patParser) expectWord(kw, what string) error {
	ok, err := p.accept(kw)
	if err == nil && !ok {
		err = patUnexpected(p.tok, what)
	}
	return err
}

func patUnexpected(t patToken, what string) error {
	return patErr(t.pos, "expected %s, found %s%s", what, t.describe(), patKeywordHint(t.text))
}

// nest tracks one more level of brackets or parentheses opened at pos.
// The caller decrements p.depth when the level closes.
func (p *patParser) nest(pos int) error {
	if p.depth++; p.depth > maxPatternDepth {
		return patErr(pos, "nesting deeper than %d levels", maxPatternDepth)
	}
	return nil
}

// sequence parses operand (kw operand)*, returning the operand alone when
// kw does not follow it.
func (p *patParser) sequence(kw string, operand func() (patNode, error)) (patNode, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	items := []patNode{first}
	for {
		ok, err := p.accept(kw)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		next, err := operand()
		if err != nil {
			return nil, err
		}
		items = append(items, next)
	}
	if len(items) == 1 {
		return first, nil
	}
	return &patChain{op: kw, items: items}, nil
}

func (p *patParser) obsOr() (patNode, error)  { return p.sequence("OR", p.obsAnd) }
func (p *patParser) obsAnd() (patNode, error) { return p.sequence("AND", p.qualifiedObs) }

// qualifiedObs parses an observation expression and any qualifiers after
// it. The grammar allows several, e.g. REPEATS 2 TIMES WITHIN 10 SECONDS.
func (p *patParser) qualifiedObs() (patNode, error) {
	n, err := p.obsPrimary()
	for err == nil {
		var t patToken
		if t, err = p.peek(); err != nil || t.kind != patTokWord {
			break
		}
		switch t.text {
		case "WITHIN":
			n, err = p.within(n)
		case "REPEATS":
			n, err = p.repeats(n)
		case "START":
			n, err = p.startStop(n)
		default:
			return n, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (p *patParser) obsPrimary() (patNode, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case patTokLBrack:
		return p.bracketed()
	case patTokLParen:
		if err := p.nest(t.pos); err != nil {
			return nil, err
		}
		p.advance()
		inner, err := p.sequence("FOLLOWEDBY", p.obsOr)
		if err == nil {
			err = p.expect(patTokRParen, "')' after observation expression")
		}
		p.depth--
		return &patGroup{inner: inner}, err
	}
	return nil, patUnexpected(t, "'[' or '(' to start an observation expression")
}

func (p *patParser) bracketed() (patNode, error) {
	if err := p.nest(p.tok.pos); err != nil {
		return nil, err
	}
	p.advance()
	if at := p.lx.skipSpace(p.pos); p.lx.byteAt(at) == ']' {
		return nil, patErr(at, "empty observation expression '[]'")
	}
	cmp, err := p.sequence("OR", p.cmpAnd)
	if err == nil {
		err = p.expect(patTokRBrack, "']' after comparison expression")
	}
	p.depth--
	return &patObservation{cmp: cmp}, err
}
