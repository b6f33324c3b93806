package mapping

import (
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// transformFunc maps the values of an expression to new values.
type transformFunc func(vals []any, arg string) []any

// transforms are the functions expressions may apply with "| name(arg)".
// Each is pure and keeps the order of values.
var transforms = map[string]transformFunc{
	"lower":     eachString(strings.ToLower),
	"upper":     eachString(strings.ToUpper),
	"trim":      eachString(strings.TrimSpace),
	"html_text": eachString(htmlText),
	"date":      eachString(stixDate),
	// day writes a date for a sentence: 2026-11-06.
	"day": eachString(func(s string) string {
		if t, ok := parseAPIDate(s); ok {
			return t.Format("2006-01-02")
		}
		return ""
	}),
	"int": eachValueT(toInt),
	"confidence": eachValueT(func(v any) any {
		n, ok := toInt(v).(int64)
		if !ok {
			return nil
		}
		return min(max(n, 0), 100)
	}),
	"tlp": eachString(tlpMarking),
	// slug writes a name the way STIX vocabularies and ATT&CK phases do:
	// "Initial Access" -> "initial-access".
	"slug": eachString(func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return r == ' ' || r == '_' || r == '-'
		}), "-")
	}),
	"hash_algo": eachString(hashAlgorithm),
	"first": func(vals []any, _ string) []any {
		if len(vals) > 1 {
			return vals[:1]
		}
		return vals
	},
	"join": func(vals []any, sep string) []any {
		parts := make([]string, 0, len(vals))
		for _, v := range vals {
			if s := scalarString(v); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			return nil
		}
		return []any{strings.Join(parts, sep)}
	},
	"split": func(vals []any, sep string) []any {
		var out []any
		for _, v := range vals {
			for _, p := range strings.Split(scalarString(v), sep) {
				out = appendFlat(out, strings.TrimSpace(p))
			}
		}
		return out
	},
	"prefix": eachString2(func(s, arg string) string { return arg + s }),
	// attack_url links a MITRE ATT&CK technique id (T1059.001) to its page.
	"attack_url": eachString(func(s string) string {
		id := strings.ToUpper(strings.TrimSpace(s))
		if !attackID.MatchString(id) {
			return ""
		}
		return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(id, ".", "/") + "/"
	}),
	// attack_id keeps only ATT&CK technique ids (T1059, T1059.001), dropping
	// Group-IB's own ids such as PRE-T1105.
	"attack_id": eachString(func(s string) string {
		if id := strings.ToUpper(strings.TrimSpace(s)); attackID.MatchString(id) {
			return id
		}
		return ""
	}),
	// cvss_severity names a CVSS v3 base score's qualitative rating.
	"cvss_severity": eachString(func(s string) string {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		switch {
		case err != nil || !(f >= 0 && f <= 10): // NaN too
			return ""
		case f == 0:
			return "NONE"
		case f < 4:
			return "LOW"
		case f < 7:
			return "MEDIUM"
		case f < 9:
			return "HIGH"
		}
		return "CRITICAL"
	}),
	// float keeps numbers (a score, a percentile) as JSON numbers.
	"float": eachValueT(func(v any) any {
		f, err := strconv.ParseFloat(strings.TrimSpace(scalarString(v)), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil // JSON has no NaN or infinity
		}
		return f
	}),
	"ip_only": eachString(func(s string) string {
		if strings.Count(s, ":") == 1 { // 192.0.2.1:8080
			s, _, _ = strings.Cut(s, ":")
		}
		return s
	}),
}

// listTransforms act on the whole list of values, not on each value.
var listTransforms = set("first", "join")

// argTransforms need an argument.
var argTransforms = map[string]bool{"join": true, "split": true, "prefix": true, "map": true, "remap": true}

func parseTransform(s string, maps map[string]map[string]string) (transformCall, error) {
	name, arg := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return transformCall{}, fmt.Errorf("transform %q: missing ')'", s)
		}
		name, arg = s[:i], s[i+1:len(s)-1]
	}
	if name == "map" || name == "remap" {
		m, ok := maps[arg]
		if !ok {
			return transformCall{}, fmt.Errorf("transform %s(%s): no map named %q under maps", name, arg, arg)
		}
		return transformCall{name: name, arg: arg, fn: mapTransform(m, name == "remap")}, nil
	}
	fn, ok := transforms[name]
	if !ok {
		return transformCall{}, fmt.Errorf("unknown transform %q (known: %s, map(name), remap(name))", name, strings.Join(transformNames(), ", "))
	}
	if argTransforms[name] != (arg != "") {
		return transformCall{}, fmt.Errorf("transform %q: argument %q not expected or missing", name, arg)
	}
	return transformCall{name: name, arg: arg, fn: fn}, nil
}

func transformNames() []string {
	names := make([]string, 0, len(transforms))
	for n := range transforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// mapTransform translates values through a table (keys compared lower-
// case); values not in it are dropped, or with keep (remap) kept as they are.
func mapTransform(m map[string]string, keep bool) transformFunc {
	return func(vals []any, _ string) []any {
		var out []any
		for _, v := range vals {
			if t, ok := m[strings.ToLower(strings.TrimSpace(scalarString(v)))]; ok && t != "" {
				out = append(out, t)
			} else if keep {
				out = appendFlat(out, v)
			}
		}
		return out
	}
}

func eachString(f func(string) string) transformFunc {
	return func(vals []any, _ string) []any {
		var out []any
		for _, v := range vals {
			out = appendFlat(out, f(scalarString(v)))
		}
		return out
	}
}

func eachString2(f func(string, string) string) transformFunc {
	return func(vals []any, arg string) []any {
		var out []any
		for _, v := range vals {
			if s := scalarString(v); s != "" {
				out = appendFlat(out, f(s, arg))
			}
		}
		return out
	}
}

func eachValueT(f func(any) any) transformFunc {
	return func(vals []any, _ string) []any {
		var out []any
		for _, v := range vals {
			out = appendFlat(out, f(v))
		}
		return out
	}
}

func toInt(v any) any {
	s := strings.TrimSpace(scalarString(v))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f)
	}
	return nil
}

var attackID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

var (
	htmlTags   = regexp.MustCompile(`(?s)<[^>]*>`)
	htmlBreaks = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/h[1-6])\s*/?>`)
	spaces     = regexp.MustCompile(`[ \t]+`)
	blankLines = regexp.MustCompile(`\n\s*\n+`)
)

// htmlText turns an HTML description into plain text, keeping paragraph
// breaks.
func htmlText(s string) string {
	s = htmlBreaks.ReplaceAllString(s, "\n")
	s = html.UnescapeString(htmlTags.ReplaceAllString(s, ""))
	s = spaces.ReplaceAllString(s, " ")
	return strings.TrimSpace(blankLines.ReplaceAllString(s, "\n\n"))
}

// dateLayouts are the formats the Group-IB API uses (GROUP-IB-API.md §3.4).
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "02.01.2006"}

// parseAPIDate reads a Group-IB date; zero dates (0001-01-01) are no date.
func parseAPIDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1900 || t.UTC().Year() > 9999 {
				return time.Time{}, false
			}
			return t.UTC().Truncate(time.Millisecond), true
		}
	}
	// Epoch seconds, milliseconds or microseconds.
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		var t time.Time
		switch {
		case n < 1e11:
			t = time.Unix(n, 0).UTC()
		case n < 1e14:
			t = time.UnixMilli(n).UTC()
		default:
			t = time.UnixMicro(n).UTC().Truncate(time.Millisecond)
		}
		return t, t.Year() <= 9999
	}
	return time.Time{}, false
}

// stixTimestamp is STIX's millisecond UTC timestamp.
const stixTimestamp = "2006-01-02T15:04:05.000Z"

func stixDate(s string) string {
	if t, ok := parseAPIDate(s); ok {
		return t.Format(stixTimestamp)
	}
	return ""
}

// hashAlgorithm names a hash by its hex length, as STIX spells it.
func hashAlgorithm(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	switch len(s) {
	case 32:
		return "MD5"
	case 40:
		return "SHA-1"
	case 64:
		return "SHA-256"
	case 128:
		return "SHA-512"
	}
	return ""
}
