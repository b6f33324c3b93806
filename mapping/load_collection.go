package mapping

import (
	"go.yaml.in/yaml/v3"
)

// collectionMap is the compiled mapping of one Group-IB collection.
type collectionMap struct {
	name                 string
	itemID               *expr
	created, modified    *expr
	tlp, ttl, confidence *expr
	score                *expr // Group-IB's risk or severity as OpenCTI's 0-100 score
	defaultScore         any   // the score when the item has none
	evaluation           *expr
	portal               *templateValue
	defaultTLP           string
	defaultTTL           int
	personal             bool
	observables          bool // an SCO with based-on for every indicator
	rules                []*rule
	rels                 []*relRule
}

func (l *loader) collection(name string, n *yaml.Node) *collectionMap {
	cm := &collectionMap{name: name, defaultTLP: l.defaults.tlp, defaultTTL: l.defaults.ttlDays, personal: l.defaults.personal,
		observables: l.defaults.observables}
	cm.itemID, _ = parseExpr("id", nil)
	var rels *yaml.Node
	l.pairs(n, "collection "+name, func(key string, k, v *yaml.Node) {
		switch key {
		case "description":
		case "item_id":
			cm.itemID = l.expr(v)
		case "created":
			cm.created = l.expr(v)
		case "modified":
			cm.modified = l.expr(v)
		case "tlp":
			cm.tlp = l.expr(v)
		case "ttl":
			cm.ttl = l.expr(v)
		case "confidence":
			cm.confidence = l.expr(v)
		case "score":
			cm.score = l.expr(v)
		case "default_score":
			cm.defaultScore = int64(l.intValue(v, 0, 100))
		case "evaluation":
			cm.evaluation = l.expr(v)
		case "portal_link":
			if t, err := parseTemplate(v.Value, l.maps); err != nil {
				l.errorf(v, "%v", err)
			} else {
				cm.portal = &t
			}
		case "default_tlp":
			cm.defaultTLP = l.tlpName(v)
		case "default_ttl_days":
			cm.defaultTTL = l.intValue(v, 0, 3650)
		case "personal_data":
			cm.personal = l.boolValue(v)
		case "observables":
			cm.observables = l.boolValue(v)
		case "objects":
			l.rules(cm, v)
		case "relationships":
			rels = v
		default:
			l.errorf(k, "unknown key %q in collection %s (description, item_id, created, modified, tlp, ttl, "+
				"confidence, score, default_score, evaluation, portal_link, default_tlp, default_ttl_days, personal_data, observables, objects, relationships)", key, name)
		}
	})
	l.checkRefs(cm)
	if cm.created == nil && cm.modified == nil {
		l.errorf(n, "collection %s: set created and/or modified (the item's date paths)", name)
	}
	if rels != nil {
		l.relationships(cm, rels)
	}
	return cm
}

// checkRefs requires every rule named by refs to exist in the collection.
func (l *loader) checkRefs(cm *collectionMap) {
	names := map[string]bool{relationshipsOutput: true, observablesOutput: true}
	for _, r := range cm.rules {
		names[r.name] = true
	}
	for _, n := range l.refNodes {
		if !names[n.Value] {
			l.errorf(n, "refs: no rule named %q in collection %s", n.Value, cm.name)
		}
	}
	l.refNodes = nil
}

func (l *loader) rules(cm *collectionMap, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "objects must be a list of rules")
		return
	}
	seen := map[string]bool{}
	for _, rn := range n.Content {
		r := l.rule(cm, rn)
		if r == nil {
			continue
		}
		if seen[r.name] {
			l.errorf(rn, "rule %q defined twice in %s", r.name, cm.name)
		}
		seen[r.name] = true
		cm.rules = append(cm.rules, r)
	}
}

// scalarsOf returns a scalar node, or a sequence's items.
func scalarsOf(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, len(v.Content))
		for i, c := range v.Content {
			out[i] = resolve(c)
		}
		return out
	}
	return []*yaml.Node{v}
}
