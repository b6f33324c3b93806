package mapping

import (
	"sort"
	"strings"
)

// emitRelationships makes the relationships one statement of the mappings
// describes, pairing only the objects that what states it names.
func (m *mapper) emitRelationships(rr *relRule) {
	switch {
	case rr.per != nil:
		for _, el := range rr.per.evalLocated(m.c.root) {
			in := func(o origin) bool { return o.within(el.at) }
			m.link(rr, m.objectsOf(rr.sources, in), m.objectsOf(rr.targets, in), "element "+el.at+" ("+rr.perText+")")
		}
	case rr.list != nil:
		for _, entry := range rr.list.evalLocated(m.c.root) {
			sources, targets := idSet(rr.sourceID.eval(m.c.root, entry.v)), idSet(rr.targetID.eval(m.c.root, entry.v))
			if len(sources) == 0 || len(targets) == 0 {
				continue
			}
			m.link(rr, m.objectsOf(rr.sources, func(o origin) bool { return sources[o.gibID] }),
				m.objectsOf(rr.targets, func(o origin) bool { return targets[o.gibID] }), "list entry "+entry.at)
		}
	default:
		all := func(origin) bool { return true }
		m.link(rr, m.objectsOf(rr.sources, all), m.objectsOf(rr.targets, all), "the item")
	}
}

func idSet(vals []any) map[string]bool {
	out := map[string]bool{}
	for _, v := range vals {
		if s := strings.TrimSpace(scalarString(v)); s != "" {
			out[s] = true
		}
	}
	return out
}

// objectsOf returns the objects the rules made from an origin that in
// accepts, in production order.
func (m *mapper) objectsOf(rules []*rule, in func(origin) bool) []*emitted {
	var out []*emitted
	for _, r := range rules {
		for _, id := range m.c.outputs[r.name] {
			e := m.byID[id]
			if anyOrigin(e.origins, in) && !containsEmitted(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

func anyOrigin(origins []origin, in func(origin) bool) bool {
	for _, o := range origins {
		if in(o) {
			return true
		}
	}
	return false
}

func containsEmitted(list []*emitted, e *emitted) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func (m *mapper) link(rr *relRule, sources, targets []*emitted, stated string) {
	for _, s := range sources {
		for _, t := range targets {
			rel := rr.relFor(s.obj["type"].(string), t.obj["type"].(string))
			if s != t && rel != "" {
				m.relationship(rel, s, t, rr.line, stated)
			}
		}
	}
}

// relationship adds one SRO. A relationship is one item's statement: its
// id, dates and marking are the item's, whatever its ends are, so that a
// claim always carries the marking of the item that made it.
func (m *mapper) relationship(rel string, src, tgt *emitted, line int, stated string) *emitted {
	srcID, tgtID := src.obj["id"].(string), tgt.obj["id"].(string)
	return m.add(&emitted{line: line, stated: stated, obj: map[string]any{
		"type": "relationship", "spec_version": "2.1",
		"id":      sdoID("relationship", "relationship/"+rel+"/"+srcID+"/"+tgtID+"/"+m.cm.name+"/"+m.ic.id),
		"created": m.ic.created, "modified": m.ic.modified, "created_by_ref": groupIBIdentity,
		"relationship_type": rel, "source_ref": srcID, "target_ref": tgtID,
		"object_marking_refs": []any{m.ic.tlp},
	}})
}

// describeIndicators makes every indicator say what it indicates, for
// tools that show an indicator alone (a SIEM): its labels name the
// families and actors its own relationships point to, and the Group-IB
// collection; a rule that gives no description gets one.
func (m *mapper) describeIndicators() {
	named := map[string][]string{} // indicator id -> "Name (type)"
	labels := map[string][]string{}
	for _, e := range m.objs {
		o := e.obj
		if o["type"] != "relationship" || o["relationship_type"] != "indicates" {
			continue
		}
		tgt := m.byID[o["target_ref"].(string)]
		name, _ := tgt.obj["name"].(string)
		typ, _ := tgt.obj["type"].(string)
		if name == "" {
			continue
		}
		src := o["source_ref"].(string)
		what := strings.ReplaceAll(typ, "-", " ")
		if kinds, ok := tgt.obj["infrastructure_types"].([]any); ok && len(kinds) > 0 {
			what = scalarString(kinds[0]) + " " + what // command-and-control infrastructure
		}
		named[src] = append(named[src], name+" ("+what+")")
		if labelTypes[typ] {
			labels[src] = append(labels[src], name)
		}
	}
	for _, e := range m.objs {
		if e.obj["type"] != "indicator" || e.fixed {
			continue
		}
		id := e.obj["id"].(string)
		existing, _ := e.obj["labels"].([]any)
		all := append(append(existing, anyStrings(labels[id])...), m.cm.name)
		e.obj["labels"] = dedupe(all)
		switch d, described := e.obj["description"].(string); {
		case len(named[id]) > 0:
			sort.Strings(named[id])
			what := "Indicates " + strings.Join(dedupeStrings(named[id]), ", ") + "."
			if described {
				what = strings.TrimSuffix(d, ".") + ". " + what
			}
			e.obj["description"] = what
		case !described:
			// Nothing it indicates is named: say at least where it is from.
			e.obj["description"] = "Reported by Group-IB (" + m.cm.name + ")."
		case !strings.HasSuffix(d, "."):
			e.obj["description"] = d + "."
		}
	}
}

// labelTypes are what an indicator's labels name (an infrastructure's name
// is an address, no label).
var labelTypes = set("malware", "intrusion-set", "threat-actor", "tool", "campaign")

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
