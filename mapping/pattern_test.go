package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// patternValidCases are accepted patterns; canon is their String() form when
// it differs from the input.
var patternValidCases = []struct{ in, canon string }{
	// Examples from the STIX 2.1 patterning section.
	{in: `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`},
	{in: `[email-message:from_ref.value MATCHES '.+\\.example\\.com$'] AND [email-message:body_multipart[*].body_raw_ref.name LIKE 'pdf%']`},
	{in: `[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] AND [domain-name:value = 'example.com'] WITHIN 600 SECONDS`},
	{in: `([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS`},
	{in: `[file:name = 'foo.dll'] FOLLOWEDBY [process:name = 'bar.exe'] REPEATS 5 TIMES`},
	{in: `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']`},
	{in: `[user-account:account_type = 'unix' AND user-account:user_id = '1007'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`},
	{in: `[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`},
	{in: `[file:hashes.MD5 = 'a'] OR [x-custom:prop = h'0aff']`},
	{in: `[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\System\\\\Foo']`},
	{in: `[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`},
	{in: `[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`},
	{in: `[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`},
	{in: `[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar'] WITHIN 300 SECONDS`},
	{in: `[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS`},
	{in: `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`},
	{in: `[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']`},
	{in: `[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`},
	{in: `[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`},
	{in: `[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`},
	{in: `[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`},
	// Every operator, with and without NOT.
	{in: `[file:size IN (1, 2, 3)]`},
	{in: `[file:name NOT = 'x']`},
	{in: `[file:name != 'x']`},
	{in: `[process:pid > 100 AND process:name = 'x']`},
	{in: `[file:size < 10 AND file:size <= 10 AND file:size >= 1 AND file:size NOT > 1000]`},
	{in: `[file:name NOT IN ('a', 'b')]`},
	{in: `[file:name NOT LIKE 'a%' AND file:name NOT MATCHES '^a']`},
	{in: `[ipv4-addr:value ISSUPERSET '198.51.100.0/24' OR ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']`},
	{in: `[EXISTS windows-registry-key:values]`},
	{in: `[EXISTS file:hashes.MD5 AND file:size = 0]`},
	// Literals.
	{in: `[x-a:f = -1.5 OR x-a:f < .5 OR x-a:f >= +3 OR x-a:f = -7 OR x-a:f = 0]`},
	{in: `[file:created < t'2016-01-01T00:00:00.123456Z']`},
	{in: `[a:b = h'' OR a:c = b'' OR a:d = h'DEADbeef' OR a:e = b'YQ==' OR a:f = b'YWI=']`},
	{in: `[a:b != false AND a:c = true]`},
	{in: `[a:b = 'it\'s \\ fine']`},
	{in: `[a:b IN ('x')]`},
	{in: `[a:b IN (true, false)]`},
	{in: `[a:b IN (1, 2.5, -3)]`},
	{in: `[a:b IN (t'2016-01-01T00:00:00Z', t'2017-01-01T00:00:00Z')]`},
	{in: `[a:b = 'ünïcode ✓']`},
	// Object paths.
	{in: `[a:b[0].c[12] = 'x']`},
	{in: `[x-a:'we\'ird'.'b\\c' = 'd']`},
	{in: `[7zip-archive:name = 'x']`},
	{in: `[a:AND = 1 AND a:OR = 2]`},
	{in: `[file:hashes.'MD5' = 'a']`, canon: `[file:hashes.MD5 = 'a']`},
	{in: `[file:'name' = 'a']`, canon: `[file:name = 'a']`},
	// Structure, precedence and whitespace.
	{in: `([a:b = 1] OR [c:d = 2]) AND [e:f = true]`},
	{in: `[a:x = 1 OR b:y = 2 AND b:z = 3]`},
	{in: `[((a:b = 1) OR (a:c = 2)) AND a:d = 3]`},
	{in: `[a:b = 1] OR [a:c = 2] AND [a:d = 3] FOLLOWEDBY [a:e = 4]`},
	{in: `([a:b = 1] AND [c:d = 2]) WITHIN 5.5 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.5Z'`},
	{in: "\t[ file : hashes . 'SHA-256'  =  'x' ]\n", canon: `[file:hashes.'SHA-256' = 'x']`},
	{in: `[a:b[ * ] =1]AND[a:c='x']WITHIN 1 SECONDS`, canon: `[a:b[*] = 1] AND [a:c = 'x'] WITHIN 1 SECONDS`},
}

func TestPatternValid(t *testing.T) {
	for _, tc := range patternValidCases {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePattern(tc.in)
			require.NoError(t, err)
			want := tc.canon
			if want == "" {
				want = tc.in
			}
			assert.Equal(t, want, p.String())
			again, err := ParsePattern(p.String())
			require.NoError(t, err)
			assert.Equal(t, p.String(), again.String())
		})
	}
}

// patternMalformedCases are rejected at pos with a message containing msg.
var patternMalformedCases = []struct {
	in  string
	pos int
	msg string
}{
	{"", 0, "empty pattern"},
	{" \n\t", 0, "empty pattern"},
	{`[file:name = 'xy'`, 17, "expected ']' after comparison expression"},
	{`[file:name = 'x']]`, 17, "unexpected ']' after observation expression"},
	{`([a:b = 1]`, 10, "expected ')' after observation expression"},
	{`[a:b = 1])`, 9, "unexpected ')'"},
	{`[(a:b = 1]`, 9, "expected ')' after comparison expression"},
	{`[]`, 1, "empty observation expression"},
	{`[ ]`, 2, "empty observation expression"},
	{`[a:b = 'abc]`, 7, "unterminated string literal"},
	{`[a:b = 'abc\`, 7, "unterminated string literal"},
	{`[a:b = 'a\nb']`, 9, `invalid escape '\n'`},
	{`[a:b = 'a\"b']`, 9, `invalid escape '\"'`},
	{`[a:b = h'abc']`, 7, "odd number of digits"},
	{`[a:b = h'zz']`, 9, "invalid hex digit"},
	{`[a:b = h'00`, 7, "unterminated h'...' literal"},
	{`[a:b = b'abc']`, 9, "invalid base64"},
	{`[a:b = b'ab!c']`, 11, "invalid base64 character"},
	{"[a:b = b'YQ=\n=']", 12, "invalid base64 character"},
	{`[a:b = t'2016-13-01T00:00:00Z']`, 7, "invalid timestamp"},
	{`[a:b = t'2016-02-30T00:00:00Z']`, 7, "invalid timestamp"},
	{`[a:b = t'2016-01-01 00:00:00Z']`, 7, "invalid timestamp"},
	{`[a:b = t'2016-01-01T00:00:00+01:00']`, 7, "invalid timestamp"},
	{`[a:b = t'2016-01-01T00:00:00.Z']`, 7, "invalid timestamp"},
	{`[a:b = t'2016-01-01T00:00:00,5Z']`, 7, "invalid timestamp"},
	{`[file:name 'x']`, 11, "expected comparison operator after object path"},
	{`[file:name]`, 10, "expected comparison operator after object path, found ']'"},
	{`[file:name =]`, 12, "expected literal after ="},
	{`[a:b NOT EXISTS]`, 9, "expected comparison operator after NOT"},
	{`[file:name = 'x' AND process:name = 'y']`, 21, "object type 'process' differs from 'file'"},
	{`[(a:x = 1 OR b:y = 2) AND a:z = 3]`, 13, "object type 'b' differs from 'a'"},
	{`[a:x = 1 AND EXISTS b:y]`, 20, "differs from 'a'"},
	{`[a:b = 1] WITHIN 0 SECONDS`, 17, "WITHIN requires a positive number"},
	{`[a:b = 1] WITHIN -5 SECONDS`, 17, "WITHIN requires a positive number"},
	{`[a:b = 1] WITHIN 0.0 SECONDS`, 17, "WITHIN requires a positive number"},
	{`[a:b = 1] WITHIN '5' SECONDS`, 17, "expected number of seconds after WITHIN"},
	{`[a:b = 1] WITHIN 5`, 18, "expected SECONDS after WITHIN value"},
	{`[a:b = 1] WITHIN 5SECONDS`, 17, "malformed number '5S'"},
	{`[a:b = 1] WITHIN 5 MINUTES`, 19, "expected SECONDS"},
	{`[a:b = 1] REPEATS 1.5 TIMES`, 18, "REPEATS requires a positive integer"},
	{`[a:b = 1] REPEATS 0 TIMES`, 18, "REPEATS requires a positive integer"},
	{`[a:b = 1] REPEATS 2`, 19, "expected TIMES"},
	{`[a:b = 1] START t'2016-07-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'`, 45, "STOP timestamp must be later than START"},
	{`[a:b = 1] START t'2016-07-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, 45, "STOP timestamp must be later"},
	{`[a:b = 1] START t'2016-07-01T00:00:00Z'`, 39, "expected STOP after START timestamp"},
	{`[a:b = 1] START '2016-07-01T00:00:00Z' STOP t'2016-08-01T00:00:00Z'`, 16, "expected timestamp t'...' after START"},
	{`[a:b = 1] and [c:d = 2]`, 10, "keywords are upper-case: AND"},
	{`[a:b = 1 or a:c = 2]`, 9, "keywords are upper-case: OR"},
	{`[a:b like 'x%']`, 5, "keywords are upper-case: LIKE"},
	{`[a:b = 1] within 5 seconds`, 10, "keywords are upper-case: WITHIN"},
	{`[a:b = 1] Followedby [c:d = 2]`, 10, "keywords are upper-case: FOLLOWEDBY"},
	{`[exists a:b]`, 8, "keywords are upper-case: EXISTS"},
	{`[a:b = TRUE]`, 7, "booleans are lower-case: true"},
	{`[a:b = 1] foo`, 10, "unexpected 'foo' after observation expression"},
	{`[a:b = 1] [c:d = 2]`, 10, "unexpected '['"},
	{`[a:b = 1] AND`, 13, "expected '[' or '(' to start an observation expression, found end of pattern"},
	{`a:b = 1`, 0, "expected '[' or '('"},
	{`[file = 'x']`, 6, "expected ':' after object type 'file'"},
	{`[file: = 'x']`, 7, "expected property name after ':'"},
	{`[file:hashes. = 'x']`, 14, "expected property name after '.'"},
	{`[file:[0] = 'x']`, 6, "expected property name after ':'"},
	{`[a:'' = 1]`, 3, "empty property name"},
	{`[file:hashes.SHA-256 = 'x']`, 16, "quote it, e.g. 'SHA-256'"},
	{`[a:b[x] = 1]`, 5, "expected list index"},
	{`[a:b[-1] = 1]`, 5, "expected list index"},
	{`[a:b[01] = 1]`, 5, "expected list index"},
	{`[a:b[] = 1]`, 5, "expected list index"},
	{`[a:b[1 = 1]`, 7, "expected ']' after list index"},
	{`[a:b[99999999999999999999] = 1]`, 5, "out of range"},
	{`[a:b => 1]`, 5, "unknown operator '=>'"},
	{`[a:b <> 1]`, 5, "unknown operator '<>'"},
	{`[a:b ! 1]`, 5, "unknown operator '!'"},
	{`[a:b LIKE 1]`, 10, "LIKE requires a string literal"},
	{`[a:b MATCHES h'00']`, 13, "MATCHES requires a string literal"},
	{`[a:b ISSUBSET 1]`, 14, "ISSUBSET requires a string literal"},
	{`[a:b ISSUPERSET true]`, 16, "ISSUPERSET requires a string literal"},
	{`[a:b MATCHES '(']`, 13, "not a valid regular expression"},
	{`[a:b MATCHES '(?=x)']`, 13, "not a valid regular expression"},
	{`[a:b > true]`, 7, "'>' cannot compare a boolean"},
	{`[a:b IN ()]`, 8, "IN requires a non-empty set"},
	{`[a:b IN ('a', 1)]`, 14, "set mixes string and number literals"},
	{`[a:b IN (h'00', b'AA==')]`, 16, "set mixes hex and binary literals"},
	{`[a:b IN 'a']`, 8, "expected '(' to start the set after IN"},
	{`[a:b IN ('a' 'b')]`, 13, "expected ',' or ')' in set"},
	{`[a:b IN ('a',)]`, 13, "expected literal in set"},
	{`[File:name = 'x']`, 1, "invalid object type 'File'"},
	{`[-a:b = 1]`, 1, "invalid object type '-a'"},
	{`[a-:b = 1]`, 1, "invalid object type 'a-'"},
	{`[NOT a:b = 1]`, 1, "NOT goes between the object path and the operator"},
	{`[NOTE:b = 1]`, 1, "invalid object type 'NOTE'"},
	{`[= 1]`, 1, "expected object path, found '='"},
	{`[a:b = 01]`, 7, "leading zero"},
	{`[a:b = 1.]`, 7, "malformed number"},
	{`[a:b = 1.2.3]`, 7, "malformed number '1.2.'"},
	{`[a:b = 12abc]`, 7, "malformed number"},
	{`[a:b = -]`, 7, "unexpected character '-'"},
	{`[a:b = 99999999999999999999]`, 7, "out of range"},
	{`[a:b = @]`, 7, "unexpected character '@'"},
	{`[a:b = 1] & [c:d = 2]`, 10, "unexpected character '&'"},
	{"[a:b = '\xff']", 8, "not valid UTF-8"},
	{strings.Repeat("(", 150) + "[a:b = 1]" + strings.Repeat(")", 150), 100, "nesting deeper than 100"},
	{"[" + strings.Repeat("(", 150) + "a:b = 1" + strings.Repeat(")", 150) + "]", 100, "nesting deeper than 100"},
}

func TestPatternMalformed(t *testing.T) {
	for _, tc := range patternMalformedCases {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePattern(tc.in)
			require.Error(t, err)
			assert.Nil(t, p)
			var pe *PatternError
			require.True(t, errors.As(err, &pe), "error %T is not a *PatternError", err)
			assert.Equal(t, tc.pos, pe.Pos, "message: %s", pe.Msg)
			assert.Contains(t, pe.Msg, tc.msg)
		})
	}
}

func TestPatternErrorString(t *testing.T) {
	_, err := ParsePattern(`[file:name = 'xy'`)
	require.Error(t, err)
	assert.Equal(t, "position 17: expected ']' after comparison expression, found end of pattern", err.Error())
}

func TestPatternObjectPaths(t *testing.T) {
	cases := []struct {
		in           string
		paths, types []string
	}{
		{
			in:    patternValidCases[1].in,
			paths: []string{"email-message:from_ref.value", "email-message:body_multipart[*].body_raw_ref.name"},
			types: []string{"email-message"},
		},
		{
			in:    patternValidCases[2].in,
			paths: []string{"ipv4-addr:value", "ipv6-addr:value", "domain-name:value"},
			types: []string{"domain-name", "ipv4-addr", "ipv6-addr"},
		},
		{
			in:    `[file:hashes.'SHA-256' = 'a' OR file:hashes.'MD5' = 'b'] AND [EXISTS x-a:'we\'ird'[0]] OR [file:hashes.MD5 = 'c']`,
			paths: []string{`file:hashes.'SHA-256'`, "file:hashes.MD5", `x-a:'we\'ird'[0]`},
			types: []string{"file", "x-a"},
		},
		{
			in:    `[network-traffic:dst_ref.value = 'a' AND network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'b']`,
			paths: []string{"network-traffic:dst_ref.value", `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'`},
			types: []string{"network-traffic"},
		},
	}
	for _, tc := range cases {
		p, err := ParsePattern(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.paths, p.ObjectPaths(), tc.in)
		assert.Equal(t, tc.types, p.ObservableTypes(), tc.in)
	}
	var nilPattern *Pattern
	assert.Empty(t, nilPattern.ObjectPaths())
	assert.Empty(t, nilPattern.ObservableTypes())
}

// patternTree renders the syntax tree fully parenthesised, so the tests
// can see how the parser grouped operators.
func patternTree(n patNode) string {
	switch n := n.(type) {
	case *patChain:
		parts := make([]string, len(n.items))
		for i, item := range n.items {
			parts[i] = patternTree(item)
		}
		return "(" + strings.Join(parts, " "+n.op+" ") + ")"
	case *patGroup:
		return patternTree(n.inner)
	case *patObservation:
		return "[" + patternTree(n.cmp) + "]"
	case *patQualified:
		return "(" + patternTree(n.inner) + " " + n.kind + ")"
	case *patComparison:
		return n.path.String()
	}
	return "?"
}

func TestPatternPrecedence(t *testing.T) {
	cases := map[string]string{
		`[a:b = 1] OR [a:c = 2] AND [a:d = 3] FOLLOWEDBY [a:e = 4]`: `(([a:b] OR ([a:c] AND [a:d])) FOLLOWEDBY [a:e])`,
		`[a:b = 1] FOLLOWEDBY [a:c = 2] OR [a:d = 3]`:               `([a:b] FOLLOWEDBY ([a:c] OR [a:d]))`,
		`[a:b = 1] OR [a:c = 2] OR [a:d = 3]`:                       `([a:b] OR [a:c] OR [a:d])`,
		`[a:b = 1] AND [a:c = 2] WITHIN 5 SECONDS`:                  `([a:b] AND ([a:c] WITHIN))`,
		`([a:b = 1] AND [a:c = 2]) WITHIN 5 SECONDS`:                `(([a:b] AND [a:c]) WITHIN)`,
		`[a:b = 1] REPEATS 2 TIMES WITHIN 5 SECONDS`:                `(([a:b] REPEATS) WITHIN)`,
		`[a:x = 1 OR a:y = 2 AND a:z = 3]`:                          `[(a:x OR (a:y AND a:z))]`,
		`[(a:x = 1 OR a:y = 2) AND a:z = 3]`:                        `[((a:x OR a:y) AND a:z)]`,
		`[a:x = 1 AND a:y = 2 AND a:z = 3]`:                         `[(a:x AND a:y AND a:z)]`,
		`[a:x = 1 AND (a:y = 2 AND a:z = 3)]`:                       `[(a:x AND (a:y AND a:z))]`,
	}
	for in, want := range cases {
		p, err := ParsePattern(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, patternTree(p.root), in)
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, tc := range patternValidCases {
		f.Add(tc.in)
	}
	for _, tc := range patternMalformedCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(s) {
				t.Fatalf("bad error for %q: %#v", s, err)
			}
			return
		}
		canon := p.String()
		again, err := ParsePattern(canon)
		if err != nil {
			t.Fatalf("%q parsed, but its canonical form %q does not: %v", s, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form of %q is unstable: %q then %q", s, canon, again.String())
		}
		if strings.Join(again.ObjectPaths(), "\n") != strings.Join(p.ObjectPaths(), "\n") {
			t.Fatalf("object paths of %q change on re-parse", s)
		}
	})
}

// "==" is the grammar's other spelling of "=", and a pattern that parses
// must still name real types and properties (the OASIS validator's check).
func TestPatternEqualsAndObjectModel(t *testing.T) {
	p, err := ParsePattern("[ipv4-addr:value == '198.51.100.1']")
	require.NoError(t, err)
	assert.Equal(t, "[ipv4-addr:value = '198.51.100.1']", p.String())
	for pattern, want := range map[string]string{
		"[ipv4-addr:valu = '198.51.100.1']":                        "'valu' is not a property of ipv4-addr",
		"[ipv4-adr:value = '198.51.100.1']":                        "did you mean 'ipv4-addr'?",
		"[file:hashes.'SHA-256' = 'ab'] AND [x-acme:anything = 1]": "",
		"[network-traffic:src_ref.value = '198.51.100.1']":         "",
		"[file:x_custom = 1]":                                      "",
	} {
		p, err := ParsePattern(pattern)
		require.NoError(t, err, pattern)
		err = p.CheckObjectModel()
		if want == "" {
			assert.NoError(t, err, pattern)
		} else if assert.Error(t, err, pattern) {
			assert.Contains(t, err.Error(), want, pattern)
		}
	}
}
