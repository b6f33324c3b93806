package mapping

import (
	"slices"
	"sort"
	"strings"
)

// emitRelationships makes the relationships one statement of the mappings
// describes, pairing only the objects that what states it names.
func (m *mapper) emitRelationships(rr *relRule) {
	switch {
	case rr.per != nil:
		elements := rr.per.evalLocated(m.c.root)
		index := make(map[string]int, len(elements))
		for i, el := range elements {
			index[el.at] = i
		}
		sources, targets := m.byElement(rr.sources, index, len(elements)), m.byElement(rr.targets, index, len(elements))
		for i, el := range elements {
			m.link(rr, sources[i], targets[i], "element "+el.at+" ("+rr.perText+")")
		}
	case rr.list != nil:
		sources, targets := m.byGibID(rr.sources), m.byGibID(rr.targets)
		for _, entry := range rr.list.evalLocated(m.c.root) {
			m.link(rr, pickIDs(sources, rr.sourceID.eval(m.c.root, entry.v)),
				pickIDs(targets, rr.targetID.eval(m.c.root, entry.v)), "list entry "+entry.at)
		}
	default:
		m.link(rr, m.objectsOf(rr.sources), m.objectsOf(rr.targets), "the item")
	}
}

// objectsOf returns the objects the rules made, in production order, each
// once.
func (m *mapper) objectsOf(rules []*rule) []*emitted {
	var out []*emitted
	seen := map[*emitted]bool{}
	for _, r := range rules {
		for _, id := range m.c.outputs[r.name] {
			if e := m.byID[id]; !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// byElement sorts the rules' objects into the elements (by index) that
// hold one of their origins: a value at /indicators/3/params/ipv4/0 is in
// the element /indicators/3.
func (m *mapper) byElement(rules []*rule, index map[string]int, n int) [][]*emitted {
	out := make([][]*emitted, n)
	for _, e := range m.objectsOf(rules) {
		in := map[int]bool{}
		for _, o := range e.origins {
			for at := o.at; at != ""; at = at[:strings.LastIndexByte(at, '/')] {
				if i, ok := index[at]; ok && !in[i] {
					in[i] = true
					out[i] = append(out[i], e)
				}
			}
		}
	}
	return out
}

// byGibID sorts the rules' objects by the Group-IB ids of the elements
// they came from.
func (m *mapper) byGibID(rules []*rule) map[string][]*emitted {
	out := map[string][]*emitted{}
	for _, e := range m.objectsOf(rules) {
		for _, o := range e.origins {
			if o.gibID != "" && !slices.Contains(out[o.gibID], e) {
				out[o.gibID] = append(out[o.gibID], e)
			}
		}
	}
	return out
}

// pickIDs returns the objects of the ids a list entry names.
func pickIDs(byID map[string][]*emitted, ids []any) []*emitted {
	var out []*emitted
	for _, v := range ids {
		for _, e := range byID[strings.TrimSpace(scalarString(v))] {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
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
