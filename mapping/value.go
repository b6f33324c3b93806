package mapping

import (
	"fmt"
	"strings"
)

// value is a compiled value spec of mappings.yaml. eval returns zero or
// more values; zero means the property is left out.
type value interface {
	eval(c *evalCtx, cur any) []any
}

// evalCtx is what a value sees while one item is mapped.
type evalCtx struct {
	root     any
	personal bool
	// outputs are the ids produced so far, by rule name, for refs.
	outputs map[string][]string
	order   []string // rule names in production order, for refs: all
}

type constValue struct{ v any }

func (v constValue) eval(*evalCtx, any) []any { return appendFlat(nil, v.v) }

// templateValue is a string with {expr} placeholders. A string that is
// exactly one placeholder yields the expression's values as they are;
// otherwise each placeholder is rendered as text (several values joined
// by ", ") and a placeholder without value leaves the whole string out.
type templateValue struct {
	text  []string // literal parts, len(exprs)+1
	exprs []*expr
}

func (v templateValue) eval(c *evalCtx, cur any) []any {
	if len(v.exprs) == 1 && v.text[0] == "" && v.text[1] == "" {
		return v.exprs[0].eval(c.root, cur)
	}
	var b strings.Builder
	for i, e := range v.exprs {
		b.WriteString(v.text[i])
		vals := e.eval(c.root, cur)
		if len(vals) == 0 {
			return nil
		}
		for j, val := range vals {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(scalarString(val))
		}
	}
	b.WriteString(v.text[len(v.exprs)])
	return []any{b.String()}
}

// parseTemplate compiles a string value: constant text with {expr}
// placeholders; "{{" and "}}" are literal braces.
func parseTemplate(s string, maps map[string]map[string]string) (templateValue, error) {
	var t templateValue
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "{{"), strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte(s[i])
			i++
		case s[i] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return t, fmt.Errorf("template %q: '{' without '}'", s)
			}
			e, err := parseExpr(s[i+1:i+end], maps)
			if err != nil {
				return t, fmt.Errorf("template %q: %w", s, err)
			}
			t.text = append(t.text, lit.String())
			lit.Reset()
			t.exprs = append(t.exprs, e)
			i += end
		case s[i] == '}':
			return t, fmt.Errorf("template %q: '}' without '{' (write '}}' for a brace)", s)
		default:
			lit.WriteByte(s[i])
		}
	}
	t.text = append(t.text, lit.String())
	return t, nil
}

// listValue concatenates its items' values, de-duplicated.
type listValue []value

func (l listValue) eval(c *evalCtx, cur any) []any {
	var out []any
	for _, v := range l {
		out = append(out, v.eval(c, cur)...)
	}
	return dedupe(out)
}

// objectValue builds one JSON object; properties without value are left
// out, and an object without properties is no value.
type objectValue struct {
	keys []string
	vals []value
	list map[string]bool // keys whose value stays a list
}

func (o objectValue) eval(c *evalCtx, cur any) []any {
	m := map[string]any{}
	for i, k := range o.keys {
		if v := o.vals[i].eval(c, cur); len(v) > 0 {
			m[k] = shape(v, o.list[k])
		}
	}
	if len(m) == 0 {
		return nil
	}
	return []any{m}
}

// shape turns values into a property value: a list, or the first value.
func shape(vals []any, list bool) any {
	if list {
		return vals
	}
	return vals[0]
}

// eachValue evaluates its value for every value of the expression, which
// becomes "$".
type eachValue struct {
	each  *expr
	inner value
}

func (e eachValue) eval(c *evalCtx, cur any) []any {
	var out []any
	for _, el := range e.each.eval(c.root, cur) {
		out = append(out, e.inner.eval(c, el)...)
	}
	return dedupe(out)
}

type whenValue struct {
	when  cond
	inner value
}

func (w whenValue) eval(c *evalCtx, cur any) []any {
	if !w.when.test(c, cur) {
		return nil
	}
	return w.inner.eval(c, cur)
}

// personalValue is personal data: left out unless the collection opts in.
type personalValue struct{ inner value }

func (p personalValue) eval(c *evalCtx, cur any) []any {
	if !c.personal {
		return nil
	}
	return p.inner.eval(c, cur)
}

// refsValue is the ids of objects other rules produced for this item.
type refsValue struct {
	rules []string // empty: all rules so far
}

func (r refsValue) eval(c *evalCtx, _ any) []any {
	rules := r.rules
	if len(rules) == 0 {
		rules = c.order
	}
	var out []any
	for _, name := range rules {
		for _, id := range c.outputs[name] {
			out = append(out, id)
		}
	}
	return dedupe(out)
}

// dedupe keeps the first of equal scalar values; objects are compared by
// their rendering.
func dedupe(vals []any) []any {
	seen := map[string]bool{}
	out := vals[:0:0]
	for _, v := range vals {
		k := fmt.Sprintf("%T:%v", v, v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// firstValue is the values of the first of its specs that has any.
type firstValue []value

func (f firstValue) eval(c *evalCtx, cur any) []any {
	for _, v := range f {
		if out := v.eval(c, cur); len(out) > 0 {
			return out
		}
	}
	return nil
}

// joinValue is one text of those of its parts that have a value (a
// template missing a placeholder has none), so that a description says
// what the item has and leaves out what it lacks.
type joinValue struct {
	parts []value
	sep   string
}

func (j joinValue) eval(c *evalCtx, cur any) []any {
	var texts []string
	for _, p := range j.parts {
		for _, v := range p.eval(c, cur) {
			if s := scalarString(v); s != "" {
				texts = append(texts, s)
			}
		}
	}
	if len(texts) == 0 {
		return nil
	}
	out := ""
	for i, t := range texts {
		switch {
		case i == 0:
		case strings.ContainsAny(t[:1], ".,;:") && strings.ContainsAny(out[len(out)-1:], ".,;:"):
			out = out[:len(out)-1] // "... (keyword)," + "." is "... (keyword)."
		case !strings.ContainsAny(t[:1], ".,;:"):
			out += j.sep // punctuation closes the text before it: "... by X" + "."
		}
		out += t
	}
	return []any{out}
}

func dedupeStrings(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
