package mapping

import (
	"strings"
)

// patternValue builds a STIX pattern: its comparisons, each expanded for
// every value of its placeholders and dropped when one has none, are
// joined with OR in one observation. A placeholder in a comparison is a
// quoted STIX string literal with ' and \ escaped.
type patternValue struct {
	comps []patternComp
}

type patternComp struct {
	tpl  templateValue // placeholders are quoted literals
	hash *expr         // instead: file:hashes.'<algorithm by length>' = value
}

func (p patternValue) eval(c *evalCtx, cur any) []any {
	var parts []string
	for _, comp := range p.comps {
		parts = append(parts, comp.expand(c, cur)...)
	}
	parts = dedupeStrings(parts)
	if len(parts) == 0 {
		return nil
	}
	return []any{"[" + strings.Join(parts, " OR ") + "]"}
}

func (pc patternComp) expand(c *evalCtx, cur any) []string {
	if pc.hash != nil {
		var out []string
		for _, v := range pc.hash.eval(c.root, cur) {
			h := strings.ToLower(strings.TrimSpace(scalarString(v)))
			if algo := hashAlgorithm(h); algo != "" {
				out = append(out, "file:hashes.'"+algo+"' = "+quoteLiteral(h))
			}
		}
		return out
	}
	results := []string{pc.tpl.text[0]}
	for i, e := range pc.tpl.exprs {
		vals := e.eval(c.root, cur)
		if len(vals) == 0 {
			return nil
		}
		var next []string
		for _, r := range results {
			for _, v := range vals {
				if s := scalarString(v); s != "" { // an object or list is no literal
					next = append(next, r+quoteLiteral(s)+pc.tpl.text[i+1])
				}
			}
		}
		results = next
	}
	return results
}

// quoteLiteral renders a STIX pattern string literal.
func quoteLiteral(s string) string { return "'" + literalEscaper.Replace(s) + "'" }

var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// sample renders the pattern with a placeholder literal in every slot, so
// that a template can be checked with the parser at load time.
func (p patternValue) sample() string {
	var parts []string
	for _, comp := range p.comps {
		if comp.hash != nil {
			parts = append(parts, "file:hashes.'SHA-256' = 'x'")
			continue
		}
		parts = append(parts, strings.Join(comp.tpl.text, "'x'"))
	}
	return "[" + strings.Join(parts, " OR ") + "]"
}

func dedupeStrings(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
