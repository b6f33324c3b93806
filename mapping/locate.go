package mapping

import (
	"strconv"
	"strings"
)

// located is a value together with where the item holds it, so that a
// relationship can be limited to the element of the item that states it
// and an analyst can be shown which field an object came from.
type located struct {
	v any
	origin
}

// origin is the place of a value in an item: a JSON pointer (/indicators/3
// /params/ipv4/0; "" is the item itself) and the Group-IB id of the
// nearest enclosing element that has one (the indicator record, the
// malware entry), which explicit relationship lists refer to.
type origin struct {
	at    string
	gibID string
}

// evalLocated is eval with the place of every value. Transforms are
// applied to each value on its own, so that every result keeps the place
// of the value it came from; those that act on the whole list (first,
// join) give their results the place of the first value.
func (e *expr) evalLocated(root any) []located {
	var vals []located
	for _, p := range e.alts {
		if vals = p.evalLocated(root); len(vals) > 0 {
			break
		}
	}
	for _, t := range e.transforms {
		if listTransforms[t.name] {
			vals = wholeList(t, vals)
			continue
		}
		var next []located
		for _, v := range vals {
			for _, out := range t.fn([]any{v.v}, t.arg) {
				next = append(next, located{v: out, origin: v.origin})
			}
		}
		vals = next
	}
	return vals
}

// evalLocated walks the path from the item root, as eval does, recording
// list indexes and keys.
func (p path) evalLocated(root any) []located {
	nodes := []located{{v: root}}
	for _, k := range p.keys {
		var next []located
		for _, n := range nodes {
			next = appendChildLocated(next, n, k)
		}
		nodes = next
	}
	var out []located
	for _, n := range nodes {
		out = appendFlatLocated(out, n)
	}
	return out
}

func appendChildLocated(out []located, node located, k string) []located {
	switch n := node.v.(type) {
	case map[string]any:
		key, ok := lookupKeyName(n, k)
		if !ok {
			return out
		}
		child := located{v: n[key], origin: origin{at: node.at + "/" + key, gibID: node.gibID}}
		return append(out, withGibID(child))
	case []any:
		for i, e := range n {
			el := withGibID(located{v: e, origin: origin{at: node.at + "/" + strconv.Itoa(i), gibID: node.gibID}})
			out = appendChildLocated(out, el, k)
		}
	}
	return out
}

// withGibID makes an element with an id of its own the nearest enclosing
// element of everything below it.
func withGibID(l located) located {
	if m, ok := l.v.(map[string]any); ok {
		if id := scalarString(m["id"]); id != "" {
			l.gibID = id
		}
	}
	return l
}

func appendFlatLocated(out []located, l located) []located {
	switch x := l.v.(type) {
	case nil:
	case string:
		if strings.TrimSpace(x) != "" {
			out = append(out, l)
		}
	case []any:
		for i, e := range x {
			out = appendFlatLocated(out, withGibID(located{v: e, origin: origin{at: l.at + "/" + strconv.Itoa(i), gibID: l.gibID}}))
		}
	default:
		out = append(out, l)
	}
	return out
}

// wholeList applies a transform that acts on the whole list.
func wholeList(t transformCall, vals []located) []located {
	if len(vals) == 0 {
		return nil
	}
	plain := make([]any, len(vals))
	for i, v := range vals {
		plain[i] = v.v
	}
	var out []located
	for _, r := range t.fn(plain, t.arg) {
		out = append(out, located{v: r, origin: vals[0].origin})
	}
	return out
}
