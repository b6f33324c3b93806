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
	// defaultLevel is the file's default TLP level, the marking of objects
	// shared across items (see sharedMarking).
	defaultLevel string
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
		sanitize(obj)
		if !hasData(r, obj) {
			continue // the item lacks what this object needs: no object
		}
		made, err := m.complete(r, el, obj)
		if err != nil {
			return fmt.Errorf("rule %s (line %d): %w", r.name, r.line, err)
		}
		if !made {
			continue
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
// and a link to the portal. made is false when the object has no key.
func (m *mapper) complete(r *rule, el any, obj map[string]any) (made bool, err error) {
	obj["type"], obj["spec_version"] = r.typ, "2.1"
	marking, suffix := m.sharedMarking()
	if r.spec.kind == kindSCO {
		id, err := scoID(r.typ, r.spec, obj)
		if err != nil {
			return false, err
		}
		obj["id"] = id
		obj["object_marking_refs"] = []any{marking}
		return true, nil
	}
	key := ""
	switch {
	case r.key != nil:
		key = strings.Join(stringsOf(r.key.eval(m.c, el)), "/")
	case r.each != nil:
		key = canonicalKey(el)
	}
	if r.global {
		if strings.TrimSpace(key) == "" {
			return false, nil // nothing identifies it: no object
		}
		obj["id"] = sdoID(r.typ, r.typ+"/"+strings.ToLower(key)+suffix)
	} else {
		obj["id"] = sdoID(r.typ, m.cm.name+"/"+r.name+"/"+m.ic.id+"/"+key)
	}
	obj["created_by_ref"] = groupIBIdentity
	m.dates(r, obj)
	if r.global {
		obj["object_marking_refs"] = []any{marking}
	} else {
		obj["object_marking_refs"] = []any{m.ic.tlp}
	}
	if !r.fixed {
		m.itemProps(r, obj)
	}
	return true, nil
}

// sharedMarking is the marking of objects that several items share: the
// file's default, unless this item is marked more strictly. Then the
// stricter marking applies and the id is seeded with it, so that no copy
// of a shared object ever carries a weaker marking than its source, and
// copies with one id stay identical.
func (m *mapper) sharedMarking() (marking, idSuffix string) {
	if tlpOrder[m.ic.tlpLevel] > tlpOrder[m.defaultLevel] {
		return tlp2[m.ic.tlpLevel], "#" + m.ic.tlpLevel
	}
	return tlp2[m.defaultLevel], ""
}

func (m *mapper) dates(r *rule, obj map[string]any) {
	created, modified := m.ic.created, m.ic.modified
	switch {
	case r.fixed:
		created, modified = fixedDate, fixedDate
	case r.global:
		created = fixedDate // every version of a shared object agrees on created
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
	switch r.typ {
	case "indicator":
		// Validity runs from the item's dates even when created is the
		// shared fixed date; a fixed indicator has no end.
		if r.fixed {
			indicatorValidity(obj, created, 0)
		} else {
			indicatorValidity(obj, m.ic.created, m.ic.ttlDays)
		}
	case "report":
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

// indicatorValidity fills valid_from (created) and valid_until (valid_from
// plus the TTL); a validity past year 9999 is left out.
func indicatorValidity(obj map[string]any, created string, ttlDays int) {
	from, ok := obj["valid_from"].(string)
	if !ok {
		from = created
		obj["valid_from"] = from
	}
	if _, ok := obj["valid_until"]; ok || ttlDays <= 0 {
		return
	}
	t, err := time.Parse(stixTimestamp, from)
	if until := t.AddDate(0, 0, ttlDays); err == nil && until.Year() <= 9999 {
		obj["valid_until"] = until.Format(stixTimestamp)
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
	fixed, shared := src.fixed && tgt.fixed, src.shared && tgt.shared
	created, modified, marking, suffix := m.ic.created, m.ic.modified, m.ic.tlp, ""
	if shared {
		// The same statement from every item (a profile and a report both
		// say the group uses the family): one id, one created, and the
		// shared marking rule.
		marking, suffix = m.sharedMarking()
		created = fixedDate
		if fixed {
			modified = fixedDate
		}
	}
	if modified < created {
		modified = created
	}
	srcID, tgtID := src.obj["id"].(string), tgt.obj["id"].(string)
	m.add(&emitted{fixed: fixed, shared: shared, obj: map[string]any{
		"type": "relationship", "spec_version": "2.1",
		"id":      sdoID("relationship", "relationship/"+rel+"/"+srcID+"/"+tgtID+suffix),
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
