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
	var fields struct {
		Value       string            `json:"value"`
		Hashes      map[string]string `json:"hashes"`
		Name        string            `json:"name"`
		Pattern     string            `json:"pattern"`
		PatternType string            `json:"pattern_type"`
		References  []struct {
			SourceName string `json:"source_name"`
			ExternalID string `json:"external_id"`
		} `json:"external_references"`
	}
	var values []string
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr":
		if json.Unmarshal(raw, &fields) == nil {
			values = append(values, fields.Value)
		}
	case "file":
		if json.Unmarshal(raw, &fields) == nil {
			for _, h := range fields.Hashes {
				values = append(values, h)
			}
		}
	case "vulnerability":
		if json.Unmarshal(raw, &fields) == nil {
			values = append(values, fields.Name)
			for _, r := range fields.References {
				if strings.EqualFold(r.SourceName, "cve") {
					values = append(values, r.ExternalID)
				}
			}
		}
	case "indicator":
		if json.Unmarshal(raw, &fields) == nil && fields.PatternType == "stix" {
			values = patternLiterals(fields.Pattern)
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

// patternLiterals returns the quoted string literals of a STIX pattern:
// the values its comparisons test ([ipv4-addr:value = '198.51.100.7']).
func patternLiterals(p string) []string {
	var out []string
	for {
		start := strings.IndexByte(p, '\'')
		if start < 0 {
			return out
		}
		var b strings.Builder
		i := start + 1
		for ; i < len(p) && p[i] != '\''; i++ {
			if p[i] == '\\' && i+1 < len(p) {
				i++ // \' and \\ stand for the character after them
			}
			b.WriteByte(p[i])
		}
		if i >= len(p) {
			return out // unterminated: not a literal
		}
		out = append(out, b.String())
		p = p[i+1:]
	}
}
