package storage

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
)

// IndexValues returns the indicator values an object carries, normalised
// (NormalizeValue), each once: the value of an address, domain, URL or
// e-mail observable, a file's hashes, a vulnerability's CVE id, and the
// string literals an indicator's STIX pattern compares against. These are
// what a lookup by value finds; other objects carry none.
func IndexValues(typ string, raw []byte) []string {
	var values []string
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr":
		values = stringField(raw, "value")
	case "file":
		var fields struct {
			Hashes map[string]json.RawMessage `json:"hashes"`
		}
		if json.Unmarshal(raw, &fields) == nil {
			for _, h := range fields.Hashes {
				var v string
				if json.Unmarshal(h, &v) == nil {
					values = append(values, v)
				}
			}
		}
	case "vulnerability":
		values = stringField(raw, "name")
		var fields struct {
			References []json.RawMessage `json:"external_references"`
		}
		_ = json.Unmarshal(raw, &fields)
		for _, r := range fields.References {
			if src := stringField(r, "source_name"); len(src) == 1 && strings.EqualFold(src[0], "cve") {
				values = append(values, stringField(r, "external_id")...)
			}
		}
	case "indicator":
		if pt := stringField(raw, "pattern_type"); len(pt) == 1 && pt[0] == "stix" {
			for _, p := range stringField(raw, "pattern") {
				values = patternLiterals(p)
			}
		}
	}
	out := values[:0]
	for _, v := range values {
		// A NUL would let one value's key run into another's.
		if v = NormalizeValue(v); v != "" && len(v) <= maxIndexedValue && !strings.ContainsRune(v, 0) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// stringField returns the top-level string field name of a JSON object,
// or nothing: a field of another type, or a malformed neighbour, costs
// only that field, not the object's other values.
func stringField(raw []byte, name string) []string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	var v string
	if json.Unmarshal(fields[name], &v) != nil {
		return nil
	}
	return []string{v}
}

// maxIndexedValue bounds an indexed value: the index key holds it, and a
// key over bbolt's limit would fail the whole commit.
const maxIndexedValue = 2048

// NormalizeValue is the form values are indexed and looked up in: an IP
// address in its canonical text, a URL with its scheme and host in lower
// case, anything else (domains, e-mail addresses, hashes, CVE ids) in
// lower case.
func NormalizeValue(v string) string {
	v = strings.TrimSpace(v)
	if a, err := netip.ParseAddr(v); err == nil {
		return a.String()
	}
	if scheme, rest, ok := strings.Cut(v, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		if path != "" || strings.HasSuffix(rest, "/") {
			path = "/" + path
		}
		return strings.ToLower(scheme) + "://" + strings.ToLower(host) + path
	}
	return strings.ToLower(v)
}

// patternLiterals returns the string values a STIX pattern tests for
// equality ([ipv4-addr:value = '198.51.100.7'], IN ('a', 'b')): a quoted
// string after "=" or in a set. Quoted parts of an object path
// (file:hashes.'SHA-256'), typed literals (t'...', b'...', h'...'), and
// what != , <, >, LIKE or MATCHES compare against are not values an
// indicator carries.
func patternLiterals(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] != '\'' {
			continue
		}
		start := i
		var b strings.Builder
		for i++; i < len(p) && p[i] != '\''; i++ {
			if p[i] == '\\' && i+1 < len(p) {
				i++ // \' and \\ stand for the character after them
			}
			b.WriteByte(p[i])
		}
		if i >= len(p) {
			return out // unterminated: not a literal
		}
		if comparedAt(p[:start]) {
			out = append(out, b.String())
		}
	}
	return out
}

// comparedAt reports whether a quote right after before opens a value
// tested for equality: before ends, spaces aside, in "=" (not "!=", "<=",
// ">="), or in "(" or "," of an IN set.
func comparedAt(before string) bool {
	if before != "" && isLetter(before[len(before)-1]) {
		return false // t'...', b'...', h'...', or a word run into the quote
	}
	before = strings.TrimRight(before, " \t\r\n")
	switch {
	case strings.HasSuffix(before, "("), strings.HasSuffix(before, ","):
		return true
	case strings.HasSuffix(before, "="):
		rest := before[:len(before)-1]
		return !strings.HasSuffix(rest, "!") && !strings.HasSuffix(rest, "<") && !strings.HasSuffix(rest, ">")
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
