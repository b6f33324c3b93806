package mapping

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// mapper holds the objects of one item while they are produced.
type mapper struct {
	e    *Engine
	cm   *collectionMap
	ic   itemContext
	c    *evalCtx
	objs []*emitted
	byID map[string]*emitted
	res  *Result
	// listed: the (rule, id) pairs already in c.outputs.
	listed map[string]bool
}

// Names under which the engine's own objects are listed for refs.
const (
	relationshipsOutput = "relationships"
	observablesOutput   = "observables"
)

// emitted is one object of the item, with where it came from.
type emitted struct {
	obj     map[string]any
	rule    *rule // nil for relationships and indicators' SCOs
	fixed   bool
	origins []origin
	values  []string // the item values it was made from, for explanations
	stated  string   // relationships: what states it
	line    int      // the mappings line of the rule or statement
}

func (m *mapper) emitRule(r *rule) error {
	if r.personal && !m.c.personal {
		return nil
	}
	elements := []located{{v: m.c.root}}
	if r.each != nil {
		elements = r.each.evalLocated(m.c.root)
	}
	for _, el := range elements {
		if r.when != nil && !r.when.test(m.c, el.v) {
			continue
		}
		if err := m.emitElement(r, el); err != nil {
			return fmt.Errorf("rule %s (line %d): %w", r.name, r.line, err)
		}
	}
	return nil
}

// emitElement makes the rule's object for one element (value) of the item.
func (m *mapper) emitElement(r *rule, el located) error {
	var obs *observed
	if r.obs != nil {
		o, ok := m.observe(r, el)
		if !ok {
			return nil
		}
		obs = &o
	}
	if r.typ == typeObservable {
		_, err := m.addObservable(*obs, el, r, r.line)
		return err
	}
	obj := map[string]any{}
	for _, p := range r.props {
		if v := p.val.eval(m.c, el.v); len(v) > 0 {
			obj[p.name] = shape(v, p.list)
		}
	}
	sanitize(obj)
	if obs != nil {
		obj["pattern"], obj["pattern_type"] = obs.pattern(), "stix"
		obj["x_opencti_main_observable_type"] = openCTITypes[obs.typ]
		if _, ok := obj["name"]; !ok {
			obj["name"] = obs.name()
		}
	}
	if !hasData(r, obj) {
		return nil // the item lacks what this object needs: no object
	}
	made, err := m.complete(r, el, obj, obs)
	if err != nil || !made {
		return err
	}
	e := m.add(&emitted{obj: obj, rule: r, fixed: r.fixed, line: r.line,
		origins: []origin{el.origin}, values: []string{display(el.v)}})
	if obs != nil && m.cm.observables {
		sco, err := m.addObservable(*obs, el, nil, r.line)
		if err != nil {
			return err
		}
		m.relationship("based-on", e, sco, r.line, "the indicator's own value")
	}
	return nil
}

// observe cleans the rule's observable value for one element. A value
// that is absent makes no object; one that is malformed, reserved or
// benign is dropped and counted.
func (m *mapper) observe(r *rule, el located) (observed, bool) {
	var c cleaned
	var raw string
	if r.obs.kind == "file" {
		var hashes []string
		for _, h := range r.obs.hashes {
			for _, v := range h.eval(m.c.root, el.v) {
				if s := scalarString(v); strings.TrimSpace(s) != "" {
					hashes = append(hashes, s)
				}
			}
		}
		if len(hashes) == 0 {
			return observed{}, false
		}
		raw, c = strings.Join(hashes, " "), m.e.filters.cleanHashes(hashes)
	} else {
		vals := []any{el.v}
		if r.obs.value != nil {
			vals = r.obs.value.eval(m.c.root, el.v)
		}
		if len(vals) == 0 {
			return observed{}, false
		}
		raw = scalarString(vals[0])
		c = m.e.filters.cleanValue(r.obs.kind, raw)
	}
	if c.drop == DropBenign && r.typ == typeObservable {
		c.drop = "" // an observable without indicator is context, not an alert
	}
	if c.drop != "" {
		m.res.drop(r, raw, c.drop)
		return observed{}, false
	}
	if c.refanged {
		m.res.Refanged++
	}
	return c.observed, true
}

// addObservable adds the SCO of an observable: one object per value in
// every item and collection, marked like other shared objects.
func (m *mapper) addObservable(o observed, el located, r *rule, line int) (*emitted, error) {
	obj := o.sco()
	spec, _ := lookupType(o.typ)
	if err := m.completeSCO(o.typ, spec, obj); err != nil {
		return nil, err
	}
	return m.add(&emitted{obj: obj, rule: r, line: line, origins: []origin{el.origin},
		values: []string{display(el.v)}}), nil
}

// add records an object; one met twice (a repeated IOC, the same country
// from two rules) is kept once but counts for every rule that made it.
// It returns the object kept.
func (m *mapper) add(e *emitted) *emitted {
	id := e.obj["id"].(string)
	if m.byID == nil {
		m.byID = map[string]*emitted{}
	}
	kept, dup := m.byID[id]
	if dup {
		kept.origins = append(kept.origins, e.origins...)
		kept.values = append(kept.values, e.values...)
	} else {
		m.byID[id] = e
		m.objs = append(m.objs, e)
		kept = e
	}
	name := relationshipsOutput
	switch {
	case e.rule != nil:
		name = e.rule.name
	case e.obj["type"] != "relationship":
		name = observablesOutput
	}
	if _, seen := m.c.outputs[name]; !seen {
		m.c.order = append(m.c.order, name)
	}
	if m.listed == nil {
		m.listed = map[string]bool{}
	}
	if !m.listed[name+"\x00"+id] {
		m.listed[name+"\x00"+id] = true
		m.c.outputs[name] = append(m.c.outputs[name], id)
	}
	return kept
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
// and a link to the portal. made is false when the object has no key or
// names a placeholder.
func (m *mapper) complete(r *rule, el located, obj map[string]any, obs *observed) (made bool, err error) {
	if r.spec.kind == kindSCO { // an SCO written out by a rule (a user account)
		return true, m.completeSCO(r.typ, r.spec, obj)
	}
	key := m.objectKey(r, el, obs)
	typ := r.typ
	if r.global {
		var ok bool
		if typ, key, ok = m.globalID(r, obj, key); !ok {
			return false, nil
		}
		obj["id"] = sdoID(typ, key)
		obj["object_marking_refs"] = []any{m.sharedMarking(r)}
	} else {
		obj["id"] = sdoID(typ, m.cm.name+"/"+r.name+"/"+m.ic.id+"/"+key)
		obj["object_marking_refs"] = []any{m.ic.tlp}
	}
	obj["type"], obj["spec_version"] = typ, "2.1"
	obj["created_by_ref"] = groupIBIdentity
	m.dates(r, obj)
	if !r.fixed {
		m.itemProps(r, obj)
	}
	return true, nil
}

// objectKey is what identifies the rule's object within the item.
func (m *mapper) objectKey(r *rule, el located, obs *observed) string {
	switch {
	case r.key != nil:
		return strings.Join(stringsOf(r.key.eval(m.c, el.v)), "/")
	case obs != nil:
		return obs.key()
	case r.each != nil:
		return canonicalKey(el.v)
	}
	return ""
}

// globalID gives a shared object its type and id seed from its normalised
// key; ok is false when nothing identifies it or it names a placeholder.
func (m *mapper) globalID(r *rule, obj map[string]any, key string) (typ, seed string, ok bool) {
	key = normalizeKey(key)
	if key == "" {
		return "", "", false // nothing identifies it: no object
	}
	if namedThing[r.typ] && m.e.filters.placeholder(key) {
		m.res.drop(r, key, DropPlaceholder)
		return "", "", false
	}
	if name, ok := obj["name"].(string); ok {
		obj["name"] = normalizeName(name)
	}
	if r.typ == typeActor {
		return m.e.actors.resolveActor(obj), "actor/" + key, true
	}
	return r.typ, r.typ + "/" + key, true
}

// sharedMarking marks a shared object. A name says nothing: the default.
// A profile's version (dates: item) holds what the item says: the item's
// marking. A C2 is named by its address, an IOC value: see valueMarking.
func (m *mapper) sharedMarking(r *rule) string {
	switch {
	case !r.fixed:
		return m.ic.tlp
	case r.typ == "infrastructure":
		return m.valueMarking()
	}
	return tlp2[m.e.defaultTLP]
}

// completeSCO gives an SCO its type, its id as the spec computes it and
// the marking of a value (valueMarking).
func (m *mapper) completeSCO(typ string, spec typeSpec, obj map[string]any) error {
	obj["type"], obj["spec_version"] = typ, "2.1"
	id, err := scoID(typ, spec, obj)
	if err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}
	obj["id"], obj["object_marking_refs"] = id, []any{m.valueMarking()}
	return nil
}

// valueMarking marks a shared object that holds an IOC value (an SCO, a
// C2 named by its address): the stricter of the default and the item's
// TLP. A value first met in a RED item is not published at AMBER; one
// that an AMBER item also names was AMBER already.
func (m *mapper) valueMarking() string {
	if tlpOrder[m.ic.tlpLevel] > tlpOrder[m.e.defaultTLP] {
		return m.ic.tlp
	}
	return tlp2[m.e.defaultTLP]
}

// namedThing are the rule types whose global objects are named things, of
// which Group-IB's placeholders (Unknown, Data Leak) are none.
var namedThing = set(typeActor, "intrusion-set", "threat-actor", "malware", "tool", "campaign")

func (m *mapper) dates(r *rule, obj map[string]any) {
	created, modified := m.ic.created, m.ic.modified
	switch {
	case r.fixed:
		created, modified = fixedDate, fixedDate
	case r.global:
		created = fixedDate // every version of a shared object agrees on created
	}
	if s, ok := obj["created"].(string); ok && !r.global {
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

// itemProps carries the item's evaluation, score and portal link.
func (m *mapper) itemProps(r *rule, obj map[string]any) {
	if _, ok := obj["confidence"]; !ok && m.ic.confidence != nil {
		obj["confidence"] = m.ic.confidence
	}
	if _, ok := obj["x_opencti_score"]; !ok && m.ic.score != nil && r.typ == "indicator" {
		obj["x_opencti_score"] = m.ic.score
	}
	for k, v := range m.ic.evaluation {
		if _, ok := obj[k]; !ok {
			obj[k] = v
		}
	}
	if m.ic.portal != "" {
		refs, _ := obj["external_references"].([]any)
		ref := map[string]any{"source_name": "Group-IB Threat Intelligence", "url": m.ic.portal,
			"description": "The " + m.cm.name + " item in the Group-IB portal"}
		// A CVE id is only an external_id under source_name cve (STIX
		// 2.1 §2.5); the vulnerability carries that reference itself.
		if !cveID.MatchString(m.ic.id) {
			ref["external_id"] = m.ic.id
		}
		obj["external_references"] = append(refs, ref)
	}
}

func stringsOf(vals []any) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, canonicalKey(v))
	}
	return out
}

var cveID = regexp.MustCompile(`(?i)^CVE-\d{4}-\d+$`)

// display renders an element value for an explanation.
func display(v any) string {
	if s := scalarString(v); s != "" {
		return s
	}
	if o, isMap := v.(map[string]any); isMap {
		if name := scalarString(o["name"]); name != "" {
			return "{name: " + name + "}"
		}
		return "{…}"
	}
	return ""
}
