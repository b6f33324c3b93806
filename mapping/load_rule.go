package mapping

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// rule produces STIX objects of one type from an item: one, or one per
// value of "each".
type rule struct {
	name, typ string
	line      int
	spec      typeSpec
	each      *expr
	when      cond
	key       *templateValue
	global    bool // ids from type and key only, shared across items
	fixed     bool // fixed dates: re-emitting the object never makes a version
	personal  bool
	props     []prop
	// subject: the rule's values are what the whole item is about (the
	// report's actor, the C2's families), so objects of other rules may be
	// linked to them at item level.
	subject bool
	// obs makes the rule's values observables: cleaned, filtered, turned
	// into the indicator's pattern and into an SCO.
	obs *observableSpec
}

// observableSpec is a rule's observable: of which kind, and where its
// value (or a file's hashes) comes from.
type observableSpec struct {
	kind   string
	value  *expr   // nil: the each value
	hashes []*expr // file
}

// Pseudo-types a rule may have besides the STIX types: an actor, whose
// STIX type the actors policy decides by name, and an observable without
// indicator.
const (
	typeActor      = "actor"
	typeObservable = "observable"
)

// wholeItem reports whether the rule's objects stand for the whole item
// (one object per item) or for what it is about.
func (r *rule) wholeItem() bool { return r.each == nil || r.subject }

// emitTypes are the STIX types the rule's objects can have.
func (r *rule) emitTypes() []string {
	switch {
	case r.typ == typeActor:
		return []string{"intrusion-set", "threat-actor"}
	case r.typ == typeObservable && r.obs != nil && r.obs.kind == "ip":
		return []string{"ipv4-addr", "ipv6-addr"}
	case r.typ == typeObservable && r.obs != nil:
		return []string{r.obs.kind}
	}
	return []string{r.typ}
}

type prop struct {
	name string
	val  value
	list bool
}

// engineProps are set by the engine on every object.
var engineProps = map[string]bool{"type": true, "spec_version": true, "id": true, "created_by_ref": true, "object_marking_refs": true}

// listProps are the STIX properties whose values are lists.
var listProps = map[string]bool{
	"aliases": true, "labels": true, "object_refs": true, "external_references": true, "kill_chain_phases": true,
	"granular_markings": true, "sectors": true, "roles": true, "goals": true, "indicator_types": true,
	"malware_types": true, "threat_actor_types": true, "report_types": true, "infrastructure_types": true,
	"tool_types": true, "secondary_motivations": true, "personal_motivations": true, "capabilities": true,
	"implementation_languages": true, "architecture_execution_envs": true, "operating_system_refs": true,
	"sample_refs": true, "authors": true, "resolves_to_refs": true, "belongs_to_refs": true,
	"contains_refs": true, "languages": true,
}

var customProp = regexp.MustCompile(`^x_[a-z0-9_]{1,248}$`)

func (l *loader) rule(cm *collectionMap, n *yaml.Node) *rule {
	r := &rule{line: n.Line}
	var props *yaml.Node
	scope, dates := "item", ""
	l.pairs(n, "rule", func(key string, k, v *yaml.Node) {
		switch key {
		case "rule":
			r.name = v.Value
		case "type":
			r.typ = v.Value
		case "description":
		case "each":
			r.each = l.expr(v)
		case "when":
			r.when = l.cond(v)
		case "key":
			if t, err := parseTemplate(v.Value, l.maps); err != nil {
				l.errorf(v, "%v", err)
			} else {
				r.key = &t
			}
		case "scope":
			scope = v.Value
		case "dates":
			dates = v.Value
		case "personal_data":
			r.personal = l.boolValue(v)
		case "properties":
			props = v
		case "subject":
			r.subject = l.boolValue(v)
		case "observable":
			r.obs = l.observable(v)
		default:
			l.errorf(k, "unknown key %q in rule (rule, type, description, each, when, key, scope, dates, subject, "+
				"observable, personal_data, properties)", key)
		}
	})
	if r.name == "" || r.typ == "" {
		l.errorf(n, "a rule needs a name (rule:) and a STIX type (type:)")
		return nil
	}
	spec, ok := ruleSpec(r.typ)
	if !ok {
		l.errorf(n, "rule %s: %q is not a STIX 2.1 type this engine emits", r.name, r.typ)
		return nil
	}
	r.spec = spec
	l.scope(r, n, scope, dates)
	if r.subject && r.each == nil {
		l.errorf(n, "rule %s: subject is for a rule with each (a rule without each is the item itself)", r.name)
	}
	if props != nil {
		l.props(r, props)
	}
	l.checkObservable(r, n)
	return r
}

// scope reads scope and dates: global objects (an actor or malware family
// referenced by many items) take their id from type and key, and by
// default fixed dates.
func (l *loader) scope(r *rule, n *yaml.Node, scope, dates string) {
	switch scope {
	case "item":
	case "global":
		r.global, r.fixed = true, true
		if r.key == nil && r.spec.kind != kindSCO {
			l.errorf(n, "rule %s: a global rule needs a key (what identifies the object, e.g. its name)", r.name)
		}
	default:
		l.errorf(n, "rule %s: scope %q is item or global", r.name, scope)
	}
	switch dates {
	case "":
	case "item":
		r.fixed = false
	case "fixed":
		r.fixed = true
	default:
		l.errorf(n, "rule %s: dates %q is item or fixed", r.name, dates)
	}
}

func (l *loader) props(r *rule, n *yaml.Node) {
	l.pairs(n, "properties", func(name string, k, v *yaml.Node) {
		switch {
		case engineProps[name]:
			l.errorf(k, "rule %s: %s is set by the engine", r.name, name)
			return
		case !r.spec.allowsProperty(name):
			l.errorf(k, "rule %s: %s has no property %q", r.name, r.typ, name)
			return
		case strings.HasPrefix(name, "x_") && !customProp.MatchString(name):
			l.errorf(k, "rule %s: custom property %q must be x_ then a-z, 0-9 and _", r.name, name)
		}
		val := l.value(v)
		if val == nil {
			return
		}
		if c, ok := val.(constValue); ok {
			l.checkVocab(r, name, c, v)
		}
		r.props = append(r.props, prop{name: name, val: val, list: listProps[name] || v.Kind == yaml.SequenceNode})
	})
}

func (l *loader) checkVocab(r *rule, name string, c constValue, n *yaml.Node) {
	vocab := r.spec.vocab[name]
	if vocab == nil {
		return
	}
	for _, v := range c.eval(nil, nil) {
		if s := scalarString(v); !vocab[s] {
			l.errorf(n, "rule %s: %q is not in the STIX vocabulary of %s", r.name, s, name)
		}
	}
}

// directives are the keys that make a mapping a value directive rather
// than a JSON object.
var directives = map[string]bool{"each": true, "value": true, "when": true, "refs": true, "personal_data": true,
	"first_of": true, "join": true, "sep": true}

// value compiles a value spec: a string template, a constant, a list, an
// object, or a directive.
func (l *loader) value(n *yaml.Node) value {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" {
			var v any
			if err := n.Decode(&v); err != nil {
				l.errorf(n, "%v", err)
				return nil
			}
			return constValue{v}
		}
		t, err := parseTemplate(n.Value, l.maps)
		if err != nil {
			l.errorf(n, "%v", err)
			return nil
		}
		if len(t.exprs) == 0 {
			return constValue{n.Value}
		}
		return t
	case yaml.SequenceNode:
		var list listValue
		for _, c := range n.Content {
			if v := l.value(c); v != nil {
				list = append(list, v)
			}
		}
		if allConst(list) {
			return constValue{list.eval(nil, nil)}
		}
		return list
	case yaml.MappingNode:
		if isDirective(n) {
			return l.directive(n)
		}
		return l.object(n)
	}
	l.errorf(n, "unsupported YAML value")
	return nil
}

func allConst(list listValue) bool {
	for _, v := range list {
		if _, ok := v.(constValue); !ok {
			return false
		}
	}
	return true
}

func isDirective(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if directives[n.Content[i].Value] {
			return true
		}
	}
	return false
}

func (l *loader) object(n *yaml.Node) value {
	o := objectValue{list: map[string]bool{}}
	l.pairs(n, "object", func(key string, k, v *yaml.Node) {
		if val := l.value(v); val != nil {
			o.keys = append(o.keys, key)
			o.vals = append(o.vals, val)
			o.list[key] = v.Kind == yaml.SequenceNode
		}
	})
	return o
}

func (l *loader) directive(n *yaml.Node) value {
	fields := map[string]*yaml.Node{}
	l.pairs(n, "directive", func(key string, k, v *yaml.Node) {
		if !directives[key] {
			l.errorf(k, "%q cannot be mixed with directives (each, value, when, first_of, join, sep, refs, personal_data)", key)
		}
		fields[key] = v
	})
	switch {
	case fields["first_of"] != nil:
		return firstValue(l.valueList(fields["first_of"]))
	case fields["join"] != nil:
		sep := " "
		if fields["sep"] != nil {
			sep = fields["sep"].Value
		}
		return joinValue{parts: l.valueList(fields["join"]), sep: sep}
	case fields["refs"] != nil:
		return l.refs(fields["refs"])
	case fields["personal_data"] != nil:
		return personalValue{l.value(fields["personal_data"])}
	case fields["value"] == nil:
		l.errorf(n, "each and when need a value")
		return nil
	}
	inner := l.value(fields["value"])
	if fields["when"] != nil { // with each, the condition applies to each value
		inner = whenValue{when: l.cond(fields["when"]), inner: inner}
	}
	if fields["each"] != nil {
		return eachValue{each: l.expr(fields["each"]), inner: inner}
	}
	if fields["when"] != nil {
		return inner
	}
	l.errorf(n, "value without each or when")
	return nil
}

func scalarsOrMaps(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// valueList compiles a list of value specs.
func (l *loader) valueList(n *yaml.Node) []value {
	var out []value
	for _, c := range scalarsOrMaps(resolve(n)) {
		if v := l.value(c); v != nil {
			out = append(out, v)
		}
	}
	return out
}

func (l *loader) refs(n *yaml.Node) value {
	var r refsValue
	for _, c := range scalarsOf(n) {
		if c.Value != "all" {
			r.rules = append(r.rules, c.Value)
			l.refNodes = append(l.refNodes, c)
		}
	}
	return r
}

// cond compiles a condition: an expression (true when it yields a truthy
// value) or {path, in|equals|matches|exists}, {all}, {any}, {not}.
func (l *loader) cond(n *yaml.Node) cond {
	if n.Kind == yaml.ScalarNode {
		if e := l.expr(n); e != nil {
			return truthy{e}
		}
		return nil
	}
	f := map[string]*yaml.Node{}
	l.pairs(n, "condition", func(key string, k, v *yaml.Node) {
		if !condKeys[key] {
			l.errorf(k, "unknown key %q in condition (path, equals, in, matches, exists, all, any, not)", key)
		}
		f[key] = v
	})
	if tests := countKeys(f, "equals", "in", "matches", "exists", "all", "any", "not"); tests != 1 {
		l.errorf(n, "a condition has exactly one of equals, in, matches, exists (with path), all, any or not")
		return nil
	}
	switch {
	case f["all"] != nil:
		return allCond(l.conds(f["all"]))
	case f["any"] != nil:
		return anyCond(l.conds(f["any"]))
	case f["not"] != nil:
		return notCond{l.cond(f["not"])}
	case f["path"] == nil:
		l.errorf(n, "a condition is an expression, or has path, all, any or not")
		return nil
	}
	return l.pathCond(n, l.expr(f["path"]), f)
}

func (l *loader) pathCond(n *yaml.Node, e *expr, f map[string]*yaml.Node) cond {
	switch {
	case f["in"] != nil || f["equals"] != nil:
		set := map[string]bool{}
		for _, v := range scalarsOf(nonNil(f["in"], f["equals"])) {
			set[strings.ToLower(v.Value)] = true
		}
		return inCond{e: e, values: set}
	case f["matches"] != nil:
		re, err := regexp.Compile(f["matches"].Value)
		if err != nil {
			l.errorf(f["matches"], "%v", err)
			return nil
		}
		return matchCond{e: e, re: re}
	case f["exists"] != nil:
		if l.boolValue(f["exists"]) {
			return existsCond{e}
		}
		return notCond{existsCond{e}}
	}
	l.errorf(n, "a path condition needs in, equals, matches or exists")
	return nil
}

func nonNil(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func (l *loader) conds(n *yaml.Node) []cond {
	var out []cond
	for _, c := range scalarsOrMaps(n) {
		if x := l.cond(c); x != nil {
			out = append(out, x)
		}
	}
	return out
}

var condKeys = set("path", "equals", "in", "matches", "exists", "all", "any", "not")

func countKeys(f map[string]*yaml.Node, keys ...string) int {
	n := 0
	for _, k := range keys {
		if f[k] != nil {
			n++
		}
	}
	return n
}

// existsCond holds when the expression yields any value.
type existsCond struct{ e *expr }

func (x existsCond) test(c *evalCtx, cur any) bool { return len(x.e.eval(c.root, cur)) > 0 }
