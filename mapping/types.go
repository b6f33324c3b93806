package mapping

import (
	"maps"
	"slices"
	"strings"
)

// Types returns the STIX types the engine can emit for a Group-IB
// collection, sorted: its rules' types, the observables of its indicators,
// the relationships it states, and the Group-IB identity and TLP markings
// every object refers to. ok is false when the engine has no rules for the
// collection.
func (e *Engine) Types(collection string) (types []string, ok bool) {
	cm, ok := e.collections[collection]
	if !ok {
		return nil, false
	}
	seen := map[string]bool{"identity": true, "marking-definition": true}
	if len(cm.rels) > 0 {
		seen["relationship"] = true
	}
	for _, r := range cm.rules {
		for _, t := range r.emitTypes() {
			seen[t] = true
		}
		if r.obs != nil && r.typ == "indicator" && cm.observables {
			seen["relationship"] = true // based-on
			for _, t := range (&rule{typ: typeObservable, obs: r.obs}).emitTypes() {
				seen[t] = true
			}
		}
	}
	for t := range seen {
		types = append(types, t)
	}
	slices.Sort(types)
	return types, true
}

// KnownType reports whether t is an object type of STIX 2.1 (the engine's
// type tables hold every one) or a custom one (x-...).
func KnownType(t string) bool {
	_, std := stixTypes[t]
	_, more := moreTypes[t]
	return std || more || isCustomType(t)
}

func isCustomType(t string) bool { return strings.HasPrefix(t, "x-") && len(t) > 2 }

// KnownTypes returns the object types of STIX 2.1, sorted.
func KnownTypes() []string {
	out := slices.Concat(slices.Collect(maps.Keys(stixTypes)), slices.Collect(maps.Keys(moreTypes)))
	slices.Sort(out)
	return out
}
