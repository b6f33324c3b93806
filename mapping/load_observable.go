package mapping

import (
	"go.yaml.in/yaml/v3"
)

// ruleSpec is the type spec of a rule's type, pseudo-types included.
func ruleSpec(typ string) (typeSpec, bool) {
	switch typ {
	case typeActor:
		return actorSpec, true
	case typeObservable:
		return withAllowed(typeSpec{kind: kindSCO}), true
	}
	return lookupType(typ)
}

// observable reads observable: KIND, or {type: KIND, value: EXPR} or
// {type: file, hashes: [EXPR...]}.
func (l *loader) observable(n *yaml.Node) *observableSpec {
	o := &observableSpec{}
	if n.Kind == yaml.ScalarNode {
		o.kind = n.Value
	} else {
		l.pairs(n, "observable", func(key string, k, v *yaml.Node) {
			switch key {
			case "type":
				o.kind = v.Value
			case "value":
				o.value = l.expr(v)
			case "hashes":
				for _, h := range scalarsOf(v) {
					if e := l.expr(h); e != nil {
						o.hashes = append(o.hashes, e)
					}
				}
			default:
				l.errorf(k, "unknown key %q in observable (type, value, hashes)", key)
			}
		})
	}
	if !observableKinds[o.kind] {
		l.errorf(n, "observable %q: use ip, ipv4-addr, ipv6-addr, domain-name, url, email-addr or file", o.kind)
	}
	if (o.kind == "file") != (o.hashes != nil) || o.kind == "file" && o.value != nil {
		l.errorf(n, "observable: a file has hashes (and no value); other kinds have a value and no hashes")
	}
	return o
}

// checkObservable ties observable: to the rule types that use it: an
// indicator gets its pattern, name and SCO from it; an observable rule
// is the SCO alone. Network and file indicators must go through it, so
// that every value is cleaned and filtered.
func (l *loader) checkObservable(r *rule, n *yaml.Node) {
	switch {
	case r.typ == typeObservable && r.obs == nil:
		l.errorf(n, "rule %s: type observable needs observable: (its kind)", r.name)
	case r.obs != nil && r.typ != "indicator" && r.typ != typeObservable:
		l.errorf(n, "rule %s: observable: is for indicator and observable rules", r.name)
	case r.obs != nil && r.obs.value == nil && r.obs.hashes == nil && r.each == nil:
		l.errorf(n, "rule %s: observable without value: needs each (the values)", r.name)
	}
	if r.obs == nil {
		if r.typ == "indicator" && !l.nonSTIXPattern(r) {
			l.errorf(n, "rule %s: a STIX-pattern indicator takes its value from observable: (which cleans and "+
				"filters it); only rules with another pattern_type (yara, suricata, ...) write pattern themselves", r.name)
		}
		return
	}
	for _, p := range r.props {
		if p.name == "pattern" || p.name == "pattern_type" {
			l.errorf(n, "rule %s: the engine writes %s from observable:", r.name, p.name)
		}
	}
}

// nonSTIXPattern reports whether the rule gives a constant pattern_type
// other than stix.
func (l *loader) nonSTIXPattern(r *rule) bool {
	for _, p := range r.props {
		if c, ok := p.val.(constValue); ok && p.name == "pattern_type" {
			return scalarString(c.v) != "stix"
		}
	}
	return false
}
