package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// mapper holds the objects of one item while they are produced.
type mapper struct {
	cm   *collectionMap
	ic   itemContext
	c    *evalCtx
	objs []*emitted
	byID map[string]*emitted
	// sharedTLP marks objects not bound to one item (fixed-date global
	// objects, observables): the file's default, the same in every
	// collection, so that every copy of such an object is identical.
	sharedTLP string
}

// relationshipsOutput is the refs name of an item's relationships.
const relationshipsOutput = "relationships"

type emitted struct {
	obj   map[string]any
	rule  *rule
	fixed bool
	// shared: the id is not bound to one item (global objects, SCOs).
	shared bool
}

func (m *mapper) emitRule(r *rule) error {
	if r.personal && !m.c.personal {
		return nil
	}
	elements := []any{m.c.root}
	if r.each != nil {
		elements = r.each.eval(m.c.root, m.c.root)
	}
	for _, el := range elements {
		if r.when != nil && !r.when.test(m.c, el) {
			continue
		}
		obj := map[string]any{}
		for _, p := range r.props {
			if v := p.val.eval(m.c, el); len(v) > 0 {
				obj[p.name] = shape(v, p.list)
			}
		}
		if !hasData(r, obj) {
			continue // the item lacks what this object needs: no object
		}
		if err := m.complete(r, el, obj); err != nil {
			return fmt.Errorf("rule %s (line %d): %w", r.name, r.line, err)
		}
		m.add(&emitted{obj: obj, rule: r, fixed: r.fixed, shared: r.global || r.spec.kind == kindSCO})
	}
	return nil
}

func (m *mapper) add(e *emitted) {
	id := e.obj["id"].(string)
	if m.byID == nil {
		m.byID = map[string]*emitted{}
	}
	if _, dup := m.byID[id]; !dup {
		m.byID[id] = e
		m.objs = append(m.objs, e)
	}
	// An object met twice (a repeated IOC, or the same country from two
	// rules) is emitted once but counts for every rule that produced it.
	name := relationshipsOutput
	if e.rule != nil {
		name = e.rule.name
	}
	if _, seen := m.c.outputs[name]; !seen {
		m.c.order = append(m.c.order, name)
	}
	if !slices.Contains(m.c.outputs[name], id) {
		m.c.outputs[name] = append(m.c.outputs[name], id)
	}
}

// hasData reports whether the rule's properties produced what the type
// requires, other than what the engine fills in.
func hasData(r *rule, obj map[string]any) bool {
	for _, p := range r.spec.required {
		if _, ok := obj[p]; !ok && p != "valid_from" && p != "published" && p != "object_refs" {
			return false
		}
	}
	if r.typ == "malware" && obj["is_family"] == true && obj["name"] == nil {
		return false
	}
	return true
}

// complete adds the engine's properties: type, spec_version, id, dates,
// creator, markings and, for objects of this item, Group-IB's evaluation
// and a link to the portal.
func (m *mapper) complete(r *rule, el any, obj map[string]any) error {
	obj["type"], obj["spec_version"] = r.typ, "2.1"
	if r.spec.kind == kindSCO {
		id, err := scoID(r.typ, r.spec, obj)
		if err != nil {
			return err
		}
		obj["id"] = id
		obj["object_marking_refs"] = []any{m.sharedTLP}
		return nil
	}
	key := ""
	switch {
	case r.key != nil:
		key = strings.Join(stringsOf(r.key.eval(m.c, el)), "/")
	case r.each != nil:
		key = canonicalKey(el)
	}
	if r.global {
		obj["id"] = sdoID(r.typ, r.typ+"/"+strings.ToLower(key))
	} else {
		obj["id"] = sdoID(r.typ, m.cm.name+"/"+r.name+"/"+m.ic.id+"/"+key)
	}
	obj["created_by_ref"] = groupIBIdentity
	m.dates(r, obj)
	if r.fixed {
		obj["object_marking_refs"] = []any{m.sharedTLP}
		return nil
	}
	obj["object_marking_refs"] = []any{m.ic.tlp}
	m.itemProps(r, obj)
	return nil
}

func (m *mapper) dates(r *rule, obj map[string]any) {
	created, modified := m.ic.created, m.ic.modified
	if r.fixed {
		created, modified = fixedDate, fixedDate
	}
	if s, ok := obj["created"].(string); ok {
		created = s
	}
	if s, ok := obj["modified"].(string); ok {
		modified = s
	}
	if modified < created { // same fixed-width format: text order is time order
		modified = created
	}
	obj["created"], obj["modified"] = created, modified
	if r.typ == "indicator" {
		if _, ok := obj["valid_from"]; !ok {
			obj["valid_from"] = created
		}
		if _, ok := obj["valid_until"]; !ok && m.ic.ttlDays > 0 {
			from, _ := time.Parse(stixTimestamp, obj["valid_from"].(string))
			obj["valid_until"] = from.AddDate(0, 0, m.ic.ttlDays).Format(stixTimestamp)
		}
	}
	if r.typ == "report" {
		if _, ok := obj["published"]; !ok {
			obj["published"] = created
		}
	}
	if isContainer(r.typ) && isEmpty(obj["object_refs"]) {
		// STIX requires at least one reference; a report with no object
		// of its own (an analyst overview) refers to its author.
		obj["object_refs"] = []any{groupIBIdentity}
	}
}

// itemProps carries the item's evaluation and portal link.
func (m *mapper) itemProps(r *rule, obj map[string]any) {
	if _, ok := obj["confidence"]; !ok && m.ic.confidence != nil && r.spec.kind != kindSCO {
		obj["confidence"] = m.ic.confidence
	}
	for k, v := range m.ic.evaluation {
		if _, ok := obj[k]; !ok {
			obj[k] = v
		}
	}
	if m.ic.portal != "" {
		refs, _ := obj["external_references"].([]any)
		obj["external_references"] = append(refs, map[string]any{
			"source_name": "Group-IB Threat Intelligence", "url": m.ic.portal,
			"external_id": m.ic.id, "description": "The " + m.cm.name + " item in the Group-IB portal",
		})
	}
}

func stringsOf(vals []any) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, canonicalKey(v))
	}
	return out
}

// emitRelationships links every object of the source rule to every object
// of the target rules.
func (m *mapper) emitRelationships(rr *relRule) {
	for _, src := range m.c.outputs[rr.source.name] {
		for _, t := range rr.targets {
			for _, tgt := range m.c.outputs[t.name] {
				if src != tgt {
					m.relationship(rr.rel, m.byID[src], m.byID[tgt])
				}
			}
		}
	}
}

func (m *mapper) relationship(rel string, src, tgt *emitted) {
	fixed := src.fixed && tgt.fixed
	created, modified, marking := m.ic.created, m.ic.modified, m.ic.tlp
	switch {
	case fixed:
		created, modified, marking = fixedDate, fixedDate, m.sharedTLP
	case src.shared && tgt.shared:
		// The id is the same from every item (a profile and a report both
		// say the group uses the family): keep created the same too.
		created = fixedDate
	}
	srcID, tgtID := src.obj["id"].(string), tgt.obj["id"].(string)
	m.add(&emitted{fixed: fixed, shared: src.shared && tgt.shared, obj: map[string]any{
		"type": "relationship", "spec_version": "2.1",
		"id":      sdoID("relationship", "relationship/"+rel+"/"+srcID+"/"+tgtID),
		"created": created, "modified": modified, "created_by_ref": groupIBIdentity,
		"relationship_type": rel, "source_ref": srcID, "target_ref": tgtID,
		"object_marking_refs": []any{marking},
	}})
}

// finish validates every object and renders them, after the identity and
// the marking definitions they use.
func (m *mapper) finish(source string) ([]json.RawMessage, error) {
	used := map[string]bool{}
	out := []json.RawMessage{identityJSON()}
	for _, e := range m.objs {
		if err := validateObject(e.obj); err != nil {
			if e.rule != nil {
				return nil, fmt.Errorf("item %s: rule %s (%s:%d): %w", m.ic.id, e.rule.name, source, e.rule.line, err)
			}
			return nil, fmt.Errorf("item %s: %s: %w", m.ic.id, e.obj["id"], err)
		}
		for _, ref := range e.obj["object_marking_refs"].([]any) {
			used[ref.(string)] = true
		}
	}
	levels := make([]string, 0, len(tlp2))
	for level, id := range tlp2 {
		if used[id] {
			levels = append(levels, level)
		}
	}
	sort.Strings(levels)
	for _, level := range levels {
		out = append(out, markingJSON(level))
	}
	for _, e := range m.objs {
		b, err := marshal(e.obj)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// marshal renders compact JSON with sorted keys and without escaping
// <, > and & (URLs and descriptions stay readable).
func marshal(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
