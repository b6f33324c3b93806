package mapping

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// relRule makes the relationships one statement of the mappings file
// describes. What states a link decides which objects are paired:
//   - the item (no per, no list): every source with every target, which
//     the loader only accepts when one side is the item itself (a rule
//     without each) or what the item is about (a subject rule);
//   - per: an element: the sources and targets taken from within the same
//     element (one IOC record and its own malware list);
//   - list: an explicit relationship list of the item: for each entry, the
//     objects from the elements whose Group-IB ids it names.
type relRule struct {
	line               int
	rels               []string // the first the STIX tables allow for the ends' types
	sources, targets   []*rule
	per                *path // the stating element
	perText            string
	list               *expr
	sourceID, targetID *expr
}

func (l *loader) relationships(cm *collectionMap, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "relationships must be a list")
		return
	}
	byName := map[string]*rule{}
	for _, r := range cm.rules {
		byName[r.name] = r
	}
	for _, rn := range n.Content {
		if rr := l.relRule(byName, resolve(rn)); rr != nil {
			cm.rels = append(cm.rels, rr)
		}
	}
}

func (l *loader) relRule(byName map[string]*rule, rn *yaml.Node) *relRule {
	rr := &relRule{line: rn.Line}
	var sources, targets []*yaml.Node
	l.pairs(rn, "relationship", func(key string, k, v *yaml.Node) {
		switch key {
		case "source":
			sources = scalarsOf(v)
		case "type":
			for _, t := range scalarsOf(v) {
				rr.rels = append(rr.rels, t.Value)
			}
		case "target":
			targets = scalarsOf(v)
		case "per":
			rr.perText = v.Value
			if p, err := parsePath(strings.TrimPrefix(v.Value, "/")); err != nil || len(p.keys) == 0 {
				l.errorf(v, "per: %q must be a path from the item root, such as indicators", v.Value)
			} else {
				rr.per = &p
			}
		case "list":
			rr.list = l.expr(v)
		case "source_id":
			rr.sourceID = l.expr(v)
		case "target_id":
			rr.targetID = l.expr(v)
		default:
			l.errorf(k, "unknown key %q in relationship (source, type, target, per, list, source_id, target_id)", key)
		}
	})
	if len(sources) == 0 || len(rr.rels) == 0 || len(targets) == 0 {
		l.errorf(rn, "a relationship needs source, type and target")
		return nil
	}
	rr.sources = l.ruleRefs(byName, sources)
	rr.targets = l.ruleRefs(byName, targets)
	if len(rr.sources) != len(sources) || len(rr.targets) != len(targets) {
		return nil
	}
	if !l.checkAllowed(rr, rn) || !l.checkScope(rr, rn) {
		return nil
	}
	return rr
}

func (l *loader) ruleRefs(byName map[string]*rule, names []*yaml.Node) []*rule {
	var out []*rule
	for _, n := range names {
		if r, ok := byName[n.Value]; ok {
			out = append(out, r)
		} else {
			l.errorf(n, "no rule named %q in this collection", n.Value)
		}
	}
	return out
}

// checkAllowed requires that for every pair of types the ends can have,
// one of the statement's relationship types is one the STIX 2.1 tables
// allow (an actor is an intrusion set or a threat actor: originates-from
// for the one is located-at for the other).
func (l *loader) checkAllowed(rr *relRule, n *yaml.Node) bool {
	ok := true
	for _, s := range rr.sources {
		for _, t := range rr.targets {
			for _, st := range s.emitTypes() {
				for _, tt := range t.emitTypes() {
					if rr.relFor(st, tt) == "" {
						l.errorf(n, "%s %s %s (rules %s, %s) is not a relationship the STIX 2.1 tables allow",
							st, strings.Join(rr.rels, " or "), tt, s.name, t.name)
						ok = false
					}
				}
			}
		}
	}
	return ok
}

// relFor is the statement's relationship type for these ends, or "".
func (rr *relRule) relFor(source, target string) string {
	for _, rel := range rr.rels {
		if relationshipAllowed(source, rel, target) {
			return rel
		}
	}
	return ""
}

// checkScope refuses a statement that would pair objects nothing in the
// item links: two lists of values linked at item level is a cross product.
func (l *loader) checkScope(rr *relRule, n *yaml.Node) bool {
	switch {
	case rr.per != nil && rr.list != nil:
		l.errorf(n, "a relationship has per or list, not both")
		return false
	case rr.list != nil:
		if rr.sourceID == nil || rr.targetID == nil {
			l.errorf(n, "list: needs source_id and target_id (the entry's fields naming the Group-IB ids)")
			return false
		}
		return true
	case rr.sourceID != nil || rr.targetID != nil:
		l.errorf(n, "source_id and target_id go with list:")
		return false
	case rr.per != nil:
		return l.checkWithin(rr, n)
	}
	for _, s := range rr.sources {
		for _, t := range rr.targets {
			if !s.wholeItem() && !t.wholeItem() {
				l.errorf(n, "%s %s %s at item level would link every value of %s to every value of %s: "+
					"say which element states the link (per: a path both rules take their values from within), "+
					"use the item's explicit relationship list (list:), or mark the rule whose values the whole item "+
					"is about subject: true", s.name, strings.Join(rr.rels, " or "), t.name, s.name, t.name)
				return false
			}
		}
	}
	return true
}

// checkWithin requires both ends' each to take their values from within
// the per element.
func (l *loader) checkWithin(rr *relRule, n *yaml.Node) bool {
	ok := true
	for _, r := range append(append([]*rule{}, rr.sources...), rr.targets...) {
		if r.each == nil {
			l.errorf(n, "per %s: rule %s has no each, so its object is not within an element", rr.perText, r.name)
			ok = false
			continue
		}
		for _, alt := range r.each.alts {
			if !hasPrefixKeys(alt.keys, rr.per.keys) {
				l.errorf(n, "per %s: rule %s takes values from %s, which is not within %s", rr.perText, r.name,
					strings.Join(alt.keys, "."), rr.perText)
				ok = false
			}
		}
	}
	return ok
}

func hasPrefixKeys(keys, prefix []string) bool {
	if len(keys) < len(prefix) {
		return false
	}
	for i, k := range prefix {
		if foldKey(keys[i]) != foldKey(k) {
			return false
		}
	}
	return true
}
