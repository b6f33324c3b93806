package mapping

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// patTokKind classifies a token of the default lexing mode. Object paths are
// not tokens of this mode: they are scanned by patLexer.objectPath, because
// object types may start with a digit and contain '-', which this mode
// reads as numbers.
type patTokKind int

const (
	patTokEOF patTokKind = iota
	patTokLBrack
	patTokRBrack
	patTokLParen
	patTokRParen
	patTokComma
	patTokOp   // comparison operator: = != < <= > >=
	patTokWord // bare word: a keyword, or a stray word the parser rejects
	patTokLit  // literal; its value is in token.lit
)

type patToken struct {
	kind     patTokKind
	pos, end int    // byte offsets of the token in the source
	text     string // the token as written
	lit      patLiteral
}

// describe names a token for error messages.
func (t patToken) describe() string {
	switch t.kind {
	case patTokEOF:
		return "end of pattern"
	case patTokLit:
		return "literal " + patTruncate(t.text)
	}
	return "'" + patTruncate(t.text) + "'"
}

func patTruncate(s string) string {
	const limit = 24
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit-3]) + "..."
}

// patLexer scans a pattern on demand: the parser asks for the token at an
// offset, choosing the mode (token or object path) from grammar context.
// It holds no position itself, so peeking never consumes input.
type patLexer struct{ src string }

func patErr(pos int, format string, args ...any) *PatternError {
	return &PatternError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func isPatSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isPatDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isPatWordStart(c byte) bool { return c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z' }
func isPatWordChar(c byte) bool  { return isPatWordStart(c) || isPatDigit(c) }

func (lx patLexer) skipSpace(pos int) int {
	for pos < len(lx.src) && isPatSpace(lx.src[pos]) {
		pos++
	}
	return pos
}

// byteAt returns the byte at pos, or 0 past the end.
func (lx patLexer) byteAt(pos int) byte {
	if pos < len(lx.src) {
		return lx.src[pos]
	}
	return 0
}

// wordEnd returns the end of the run of word characters starting at pos.
func (lx patLexer) wordEnd(pos int) int {
	for pos < len(lx.src) && isPatWordChar(lx.src[pos]) {
		pos++
	}
	return pos
}

// token scans the default-mode token at or after pos.
func (lx patLexer) token(pos int) (patToken, error) {
	pos = lx.skipSpace(pos)
	if pos >= len(lx.src) {
		return patToken{kind: patTokEOF, pos: pos, end: pos}, nil
	}
	c := lx.src[pos]
	if k := patPunctKind(c); k != patTokEOF {
		return patToken{kind: k, pos: pos, end: pos + 1, text: lx.src[pos : pos+1]}, nil
	}
	switch {
	case c == '\'':
		return lx.stringLit(pos)
	case c == '=' || c == '!' || c == '<' || c == '>':
		return lx.operator(pos)
	case isPatDigit(c) || c == '+' || c == '-' || c == '.':
		return lx.number(pos)
	case (c == 'h' || c == 'b' || c == 't') && lx.byteAt(pos+1) == '\'':
		return lx.prefixed(pos)
	case isPatWordStart(c):
		return lx.word(pos), nil
	}
	r, _ := utf8.DecodeRuneInString(lx.src[pos:])
	return patToken{}, patErr(pos, "unexpected character %q", r)
}

// patPunctKind returns the kind of a one-byte punctuation token, or
// patTokEOF.
func patPunctKind(c byte) patTokKind {
	switch c {
	case '[':
		return patTokLBrack
	case ']':
		return patTokRBrack
	case '(':
		return patTokLParen
	case ')':
		return patTokRParen
	case ',':
		return patTokComma
	}
	return patTokEOF
}

// operator scans a maximal run of operator characters so that "<>" or
// "=>" are reported as unknown operators rather than split in two.
func (lx patLexer) operator(pos int) (patToken, error) {
	end := pos
	for end < len(lx.src) && strings.IndexByte("=!<>", lx.src[end]) >= 0 {
		end++
	}
	op := lx.src[pos:end]
	switch op {
	case "==": // the grammar's EQ is '=' or '=='; written as '='
		return patToken{kind: patTokOp, pos: pos, end: end, text: "="}, nil
	case "=", "!=", "<", "<=", ">", ">=":
		return patToken{kind: patTokOp, pos: pos, end: end, text: op}, nil
	}
	return patToken{}, patErr(pos, "unknown operator '%s'", op)
}

func (lx patLexer) word(pos int) patToken {
	end := lx.wordEnd(pos)
	t := patToken{kind: patTokWord, pos: pos, end: end, text: lx.src[pos:end]}
	if t.text == "true" || t.text == "false" {
		t.kind = patTokLit
		t.lit = patLiteral{kind: patLitBool, pos: pos, text: t.text}
	}
	return t
}

// unquote decodes the single-quoted string whose opening quote is at pos
// and returns it with the offset after the closing quote. The spec allows
// only \' and \\ as escapes, so any other backslash is an error rather
// than a literal backslash: accepting it would hide a producer's bug.
func (lx patLexer) unquote(pos int) (string, int, error) {
	var b strings.Builder
	for i := pos + 1; i < len(lx.src); i++ {
		switch c := lx.src[i]; c {
		case '\'':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(lx.src) {
				return "", 0, patErr(pos, "unterminated string literal")
			}
			if n := lx.src[i+1]; n == '\'' || n == '\\' {
				b.WriteByte(n)
				i++
				continue
			}
			r, _ := utf8.DecodeRuneInString(lx.src[i+1:])
			return "", 0, patErr(i, `invalid escape '\%c' in string literal: only \' and \\ are allowed`, r)
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, patErr(pos, "unterminated string literal")
}

func (lx patLexer) stringLit(pos int) (patToken, error) {
	s, end, err := lx.unquote(pos)
	if err != nil {
		return patToken{}, err
	}
	text := lx.src[pos:end]
	return patToken{kind: patTokLit, pos: pos, end: end, text: text,
		lit: patLiteral{kind: patLitString, pos: pos, text: text, str: s}}, nil
}

// number scans [+-]? digits, or [+-]? digits? '.' digits: the spec's
// IntLiteral and FloatLiteral, which have no exponent.
func (lx patLexer) number(pos int) (patToken, error) {
	i := pos
	if c := lx.src[i]; c == '+' || c == '-' {
		i++
	}
	digits := i
	for i < len(lx.src) && isPatDigit(lx.src[i]) {
		i++
	}
	intPart := lx.src[digits:i]
	float := lx.byteAt(i) == '.'
	if float {
		frac := i + 1
		for i = frac; i < len(lx.src) && isPatDigit(lx.src[i]); i++ {
		}
		if i == frac {
			return patToken{}, patErr(pos, "malformed number '%s': expected digits after '.'", lx.src[pos:i])
		}
	} else if intPart == "" {
		return patToken{}, patErr(pos, "unexpected character '%c'", lx.src[pos])
	}
	if c := lx.byteAt(i); isPatWordChar(c) || c == '.' {
		return patToken{}, patErr(pos, "malformed number '%s'", lx.src[pos:i+1])
	}
	text := lx.src[pos:i]
	if !float && len(intPart) > 1 && intPart[0] == '0' {
		return patToken{}, patErr(pos, "integer '%s' has a leading zero", text)
	}
	return lx.numberToken(pos, text, float)
}

func (lx patLexer) numberToken(pos int, text string, float bool) (patToken, error) {
	lit := patLiteral{kind: patLitInt, pos: pos, text: text}
	if float {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return patToken{}, patErr(pos, "number '%s' is out of range", text)
		}
		lit.kind, lit.num = patLitFloat, f
	} else {
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return patToken{}, patErr(pos, "integer '%s' is out of range", text)
		}
		lit.num = float64(v)
	}
	return patToken{kind: patTokLit, pos: pos, end: pos + len(text), text: text, lit: lit}, nil
}

// prefixed scans h'..', b'..' and t'..' literals. Their bodies have no
// escapes, so the first quote ends them.
func (lx patLexer) prefixed(pos int) (patToken, error) {
	body := pos + 2
	n := strings.IndexByte(lx.src[body:], '\'')
	if n < 0 {
		return patToken{}, patErr(pos, "unterminated %c'...' literal", lx.src[pos])
	}
	end := body + n + 1
	lit := patLiteral{pos: pos, text: lx.src[pos:end]}
	var err error
	switch lx.src[pos] {
	case 'h':
		lit.kind, err = patLitHex, checkPatHex(lx.src[body:end-1], body)
	case 'b':
		lit.kind, err = patLitBinary, checkPatBase64(lx.src[body:end-1], body)
	default:
		lit.kind = patLitTimestamp
		lit.ts, err = parsePatternTime(lx.src[body:end-1], pos)
	}
	if err != nil {
		return patToken{}, err
	}
	return patToken{kind: patTokLit, pos: pos, end: end, text: lit.text, lit: lit}, nil
}

// checkPatHex validates a hex literal body starting at offset at; an empty
// body is allowed, as the spec's grammar allows zero digit pairs.
func checkPatHex(s string, at int) error {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; !isPatDigit(s[i]) && (c < 'a' || c > 'f') {
			return patErr(at+i, "invalid hex digit %q in hex literal", rune(s[i]))
		}
	}
	if len(s)%2 != 0 {
		return patErr(at-2, "hex literal has an odd number of digits (%d)", len(s))
	}
	return nil
}

// checkPatBase64 validates a binary literal body. Characters are checked
// first because Go's decoder silently skips '\r' and '\n'.
func checkPatBase64(s string, at int) error {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return patErr(at+i, "invalid base64 character %q in binary literal", rune(s[i]))
		}
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		off := 0
		if c, ok := err.(base64.CorruptInputError); ok {
			off = int(c)
		}
		return patErr(at+off, "invalid base64 in binary literal")
	}
	return nil
}

// parsePatternTime accepts the spec's timestamp form: RFC 3339 in UTC
// with a literal 'Z' and an optional fraction of any length. The shape is
// checked by hand because time.Parse also takes ',' fractions and offsets.
// Leap second 60 is rejected, as time.Parse cannot represent it.
func parsePatternTime(s string, pos int) (time.Time, error) {
	const shape = "dddd-dd-ddTdd:dd:dd"
	bad := patErr(pos, "invalid timestamp '%s': want YYYY-MM-DDTHH:MM:SS[.fraction]Z", patTruncate(s))
	if len(s) < len(shape)+1 || s[len(s)-1] != 'Z' {
		return time.Time{}, bad
	}
	for i := 0; i < len(shape); i++ {
		if shape[i] == 'd' && !isPatDigit(s[i]) || shape[i] != 'd' && s[i] != shape[i] {
			return time.Time{}, bad
		}
	}
	if frac := s[len(shape) : len(s)-1]; frac != "" {
		if frac[0] != '.' || len(frac) == 1 || strings.Trim(frac[1:], "0123456789") != "" {
			return time.Time{}, bad
		}
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		return time.Time{}, bad
	}
	return t, nil
}
