package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// fixedDate dates objects whose content does not depend on one item (an
// actor or malware named by many reports): re-emitting them is a no-op. It
// is also the created of every version of an object shared across items,
// so that all its versions agree on created; it predates real data.
const fixedDate = "2000-01-01T00:00:00.000Z"

// Map returns the STIX objects of one item: the objects its collection's
// rules produce, their relationships, the Group-IB identity and the TLP
// marking definitions they reference, each as compact JSON with sorted
// keys, so that the same item always gives the same bytes. An item whose
// objects fail validation is an error naming the rule.
func (e *Engine) Map(collection string, raw json.RawMessage) ([]json.RawMessage, error) {
	res, err := e.MapItem(collection, raw, false)
	return res.Objects, err
}

// MapObjects is Map with each object's head (see Head), for ingest.
func (e *Engine) MapObjects(collection string, raw json.RawMessage) ([]Object, error) {
	res, err := e.MapItem(collection, raw, false)
	if err != nil {
		return nil, err
	}
	out := make([]Object, len(res.Objects))
	for i := range res.Objects {
		out[i] = Object{Head: res.Heads[i], JSON: res.Objects[i]}
	}
	return out, nil
}

// MapItem is Map with what was dropped and, when explain is set, an
// explanation of every object.
func (e *Engine) MapItem(collection string, raw json.RawMessage, explain bool) (Result, error) {
	cm, ok := e.collections[collection]
	if !ok {
		return Result{}, fmt.Errorf("%s: %w", collection, ErrNoRule)
	}
	item, err := decodeItem(raw)
	if err != nil {
		return Result{}, err
	}
	ic, err := cm.context(item)
	if err != nil {
		return Result{}, err
	}
	m := &mapper{e: e, cm: cm, ic: ic, res: &Result{},
		c: &evalCtx{root: item, personal: cm.personal, outputs: map[string][]string{}}}
	// Containers (report, grouping, note) come last, so that their refs
	// can name every other object and relationship of the item.
	for _, containers := range []bool{false, true} {
		for _, r := range cm.rules {
			if isContainer(r.typ) != containers {
				continue
			}
			if err := m.emitRule(r); err != nil {
				return Result{}, err
			}
		}
		if !containers {
			for _, rr := range cm.rels {
				m.emitRelationships(rr)
			}
			m.describeIndicators()
		}
	}
	if explain {
		m.explain()
	}
	m.res.Objects, m.res.Heads, err = m.finish(e.source)
	if err != nil {
		return Result{}, err
	}
	return *m.res, nil
}

func decodeItem(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var item any
	if err := dec.Decode(&item); err != nil {
		return nil, fmt.Errorf("decode item: %w", err)
	}
	if _, ok := item.(map[string]any); !ok {
		return nil, errors.New("the item is not a JSON object")
	}
	return item, nil
}

// itemContext is what every object of one item shares.
type itemContext struct {
	id                string
	created, modified string
	tlp               string // marking-definition id
	tlpLevel          string
	confidence        any
	score             any // x_opencti_score of indicators, 0-100
	ttlDays           int
	evaluation        map[string]any
	portal            string
}

func (cm *collectionMap) context(item any) (itemContext, error) {
	c := &evalCtx{root: item}
	ic := itemContext{ttlDays: cm.defaultTTL, tlp: tlp2[cm.defaultTLP], tlpLevel: cm.defaultTLP}
	if ids := cm.itemID.eval(item, item); len(ids) > 0 {
		ic.id = scalarString(ids[0])
	}
	if ic.id == "" {
		return ic, errors.New("the item has no id")
	}
	created, okC := firstDate(cm.created, item)
	modified, okM := firstDate(cm.modified, item)
	switch {
	case !okC && !okM:
		return ic, fmt.Errorf("item %s: %w", ic.id, errNoDate)
	case !okC:
		created = modified
	case !okM || modified.Before(created):
		modified = created
	}
	ic.created, ic.modified = created.Format(stixTimestamp), modified.Format(stixTimestamp)
	if cm.tlp != nil {
		if v := cm.tlp.eval(item, item); len(v) > 0 && tlpLevel(scalarString(v[0])) != "" {
			ic.tlpLevel = tlpLevel(scalarString(v[0]))
			ic.tlp = tlp2[ic.tlpLevel]
		}
	}
	if cm.confidence != nil {
		if v := transforms["confidence"](cm.confidence.eval(item, item), ""); len(v) > 0 {
			ic.confidence = v[0]
		}
	}
	ic.score = cm.defaultScore
	if cm.score != nil {
		if v := transforms["confidence"](cm.score.eval(item, item), ""); len(v) > 0 {
			ic.score = v[0]
		}
	}
	if cm.ttl != nil {
		if v := transforms["int"](cm.ttl.eval(item, item), ""); len(v) > 0 {
			if n, ok := v[0].(int64); ok && n > 0 {
				ic.ttlDays = int(min(n, 3650))
			}
		}
	}
	ic.evaluation = evaluationProps(cm.evaluation, item)
	if cm.portal != nil {
		if v := cm.portal.eval(c, item); len(v) > 0 {
			ic.portal = scalarString(v[0])
		}
	}
	return ic, nil
}

// firstDate returns the first parsable date of the expression, as given:
// the output must not depend on when the item is mapped.
func firstDate(e *expr, item any) (time.Time, bool) {
	if e == nil {
		return time.Time{}, false
	}
	// Each alternative in turn: an unparsable first field ("n/a") must
	// not hide a valid fallback.
	for _, alt := range e.alts {
		one := &expr{alts: []path{alt}, transforms: e.transforms}
		for _, v := range one.eval(item, item) {
			if t, ok := parseAPIDate(scalarString(v)); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// evaluationProps keeps Group-IB's own assessment in custom properties.
func evaluationProps(e *expr, item any) map[string]any {
	if e == nil {
		return nil
	}
	vals := e.eval(item, item)
	if len(vals) == 0 {
		return nil
	}
	ev, ok := vals[0].(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]any{}
	for key, prop := range map[string]string{"admiraltyCode": "x_gib_admiralty_code", "reliability": "x_gib_reliability",
		"credibility": "x_gib_credibility", "severity": "x_gib_severity"} {
		if v, ok := lookupKey(ev, key); ok && v != nil && scalarString(v) != "" {
			out[prop] = v
		}
	}
	return out
}

func isContainer(typ string) bool { return typ == "report" || typ == "grouping" || typ == "note" }

// finish validates every object and renders them, after the identity and
// the marking definitions they use.
func (m *mapper) finish(source string) ([]json.RawMessage, []Head, error) {
	used := map[string]bool{}
	out := []json.RawMessage{identityJSON()}
	heads := []Head{identityHead}
	for _, e := range m.objs {
		if err := validateObject(e.obj); err != nil {
			if e.rule != nil {
				return nil, nil, fmt.Errorf("item %s: rule %s (%s:%d): %w", m.ic.id, e.rule.name, source, e.rule.line, err)
			}
			return nil, nil, fmt.Errorf("item %s: %s: %w", m.ic.id, e.obj["id"], err)
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
		heads = append(heads, markingHead(level))
	}
	for _, e := range m.objs {
		b, err := marshal(e.obj)
		if err != nil {
			return nil, nil, fmt.Errorf("item %s: render %s: %w", m.ic.id, e.obj["id"], err)
		}
		out = append(out, b)
		heads = append(heads, headOf(e.obj))
	}
	return out, heads, nil
}

// headOf reads a validated object's head.
func headOf(obj map[string]any) Head {
	str := func(k string) string { s, _ := obj[k].(string); return s }
	return Head{ID: str("id"), Type: str("type"), SpecVersion: str("spec_version"), Created: str("created"), Modified: str("modified")}
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
