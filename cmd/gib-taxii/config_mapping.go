package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gib-taxii/gib-taxii/mapping"
)

// checkMapping refuses a configuration that names what the mapping cannot
// deliver: a Group-IB collection it has no rules for, or, in a fed TAXII
// collection's types, a STIX type the mapping never makes (a typo such as
// "indicators" would otherwise leave a SIEM's feed silently empty). A type
// the mapping makes, but not from this collection's sources, is allowed:
// one list of SIEM types may serve collections fed differently.
func (c Config) checkMapping(e *mapping.Engine) error {
	var p problems
	known := e.Collections()
	for _, name := range c.GroupIB.enabledCollections() {
		if !slices.Contains(known, name) {
			p.add("groupib.collections["+name+"]", "%q is not a Group-IB collection the mapping knows%s",
				name, didYouMean(name, known))
		}
	}
	made := producedBy(e, known)
	for i, r := range c.TAXII.APIRoots {
		for j, coll := range r.Collections {
			key := fmt.Sprintf("taxii.api_roots[%d].collections[%d].types", i, j)
			for _, t := range coll.Types {
				switch {
				case len(coll.Sources) == 0 && !mapping.KnownType(t):
					p.add(key, "%q is not a STIX 2.1 object type%s", t, didYouMean(t, mapping.KnownTypes()))
				case len(coll.Sources) > 0 && !slices.Contains(made, t):
					p.add(key, "%q is not a STIX type the mapping makes (%s)%s", t, strings.Join(made, ", "), didYouMean(t, made))
				}
			}
		}
	}
	return p.err()
}

// producedBy is the union of the types the mapping makes from sources.
func producedBy(e *mapping.Engine, sources []string) []string {
	var out []string
	for _, s := range sources {
		types, _ := e.Types(s)
		for _, t := range types {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out
}

// didYouMean suggests the closest candidate within a small edit distance.
func didYouMean(got string, candidates []string) string {
	if best := mapping.Closest(got, candidates, 3); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
