package mapping

import (
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

// stix21Types are the object types the STIX 2.1 specification defines.
var stix21Types = []string{
	"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
	"infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
	"opinion", "report", "threat-actor", "tool", "vulnerability",
	"relationship", "sighting",
	"artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
	"ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
	"user-account", "windows-registry-key", "x509-certificate",
	"marking-definition", "language-content", "extension-definition",
}

// KnownType reports whether t is an object type of STIX 2.1 or a custom
// one (x-...).
func KnownType(t string) bool {
	return slices.Contains(stix21Types, t) || strings.HasPrefix(t, "x-") && len(t) > 2
}

// KnownTypes returns the object types of STIX 2.1, sorted.
func KnownTypes() []string {
	out := slices.Clone(stix21Types)
	slices.Sort(out)
	return out
}
