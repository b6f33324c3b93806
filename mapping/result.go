package mapping

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Result is what one item maps to, with what was left out and why.
type Result struct {
	// Objects are the STIX objects, as Map returns them.
	Objects []json.RawMessage
	// Heads are, for each of Objects, the properties a store indexes, as
	// the object states them: a consumer need not parse Objects again.
	Heads []Head
	// Dropped are the values no object was made of (malformed, reserved,
	// benign, placeholder names), in the order met.
	Dropped []Drop
	// Refanged counts values written defanged (evil[.]com) and restored.
	Refanged int
	// Explanations say, per object, which rule (or relationship statement)
	// made it and from which item fields; filled by MapItem with explain.
	Explanations []Explanation
}

// Drop is one value left out.
type Drop struct {
	Rule   string
	Line   int
	Value  string
	Reason string // a Drop* constant
}

// Explanation is why the item gave one object.
type Explanation struct {
	ID   string
	Line int      // the mappings line of the rule or relationship statement
	Rule string   // the rule; "" for relationships and indicators' observables
	From []string // item fields (JSON pointers) and their values
	// Origins are the JSON pointers of the item values the object came
	// from ("" is the item itself).
	Origins []string
	// Stated is, for a relationship, what in the item states it: the item
	// itself, one element, or an entry of an explicit relationship list.
	Stated string
}

func (r *Result) drop(rl *rule, value, reason string) {
	r.Dropped = append(r.Dropped, Drop{Rule: rl.name, Line: rl.line, Value: value, Reason: reason})
}

// DropCounts tallies the drops by reason.
func (r *Result) DropCounts() map[string]int {
	out := map[string]int{}
	for _, d := range r.Dropped {
		out[d.Reason]++
	}
	return out
}

// explain records an explanation for every object.
func (m *mapper) explain() {
	for _, e := range m.objs {
		x := Explanation{ID: e.obj["id"].(string), Line: e.line, Stated: e.stated}
		if e.rule != nil {
			x.Rule = e.rule.name
		}
		for i, o := range e.origins {
			x.Origins = append(x.Origins, o.at)
			at := o.at
			if at == "" {
				at = "/"
			}
			if i < len(e.values) && e.values[i] != "" {
				at += " = " + e.values[i]
			}
			x.From = append(x.From, at)
		}
		x.From, x.Origins = dedupeStrings(x.From), dedupeStrings(x.Origins)
		m.res.Explanations = append(m.res.Explanations, x)
	}
}

// Describe renders an explanation as one readable line.
func (x Explanation) Describe(source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", x.ID)
	switch {
	case x.Stated != "":
		fmt.Fprintf(&b, "  <- %s:%d, stated by %s", source, x.Line, x.Stated)
	case x.Rule != "":
		fmt.Fprintf(&b, "  <- rule %s (%s:%d)", x.Rule, source, x.Line)
	case x.Line > 0:
		fmt.Fprintf(&b, "  <- observable of an indicator (%s:%d)", source, x.Line)
	}
	if len(x.From) > 0 {
		sorted := append([]string{}, x.From...)
		sort.Strings(sorted)
		fmt.Fprintf(&b, "  from %s", strings.Join(sorted, "; "))
	}
	return b.String()
}

// Head is what a store indexes of a mapped object. Created and Modified
// are empty when the object has none (SCOs).
type Head struct {
	ID, Type, SpecVersion, Created, Modified string
}

// Object is a mapped object with its head.
type Object struct {
	Head
	JSON json.RawMessage
}
