package mapping

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// An expr selects values from an item: one or more alternative paths
// (a || b: the first that yields anything), then transforms (| name or
// | name(arg)) applied to the values.
//
// A path is dot-separated keys. "$" is the current element of an "each"
// (the item itself outside one); a leading "/" starts from the item root.
// Lists met on the way fan out, so a path yields every value it reaches,
// flattened; nulls and empty strings yield nothing. Keys match
// ignoring case and underscores, which absorbs the API's key drift
// (evaluation.TLP, admiralty_code).
type expr struct {
	alts       []path
	transforms []transformCall
}

type path struct {
	root bool // starts at the item root
	keys []string
}

type transformCall struct {
	name string
	arg  string
	fn   transformFunc
}

// parseExpr compiles an expression; maps supplies named value maps for
// the map(name) transform.
func parseExpr(s string, maps map[string]map[string]string) (*expr, error) {
	parts := strings.Split(s, "|")
	var e expr
	// "||" splits into an empty part between two alternatives.
	i := 0
	for ; i < len(parts); i++ {
		p, err := parsePath(strings.TrimSpace(parts[i]))
		if err != nil {
			return nil, err
		}
		e.alts = append(e.alts, p)
		if i+2 < len(parts) && strings.TrimSpace(parts[i+1]) == "" {
			i++ // "||": the next part is another alternative
			continue
		}
		break
	}
	for _, t := range parts[i+1:] {
		call, err := parseTransform(strings.TrimSpace(t), maps)
		if err != nil {
			return nil, err
		}
		e.transforms = append(e.transforms, call)
	}
	return &e, nil
}

func parsePath(s string) (path, error) {
	if s == "" {
		return path{}, fmt.Errorf("empty path")
	}
	var p path
	if strings.HasPrefix(s, "/") {
		p.root, s = true, s[1:]
	}
	if s == "$" || s == "" {
		return p, nil
	}
	s = strings.TrimPrefix(s, "$.")
	for _, k := range strings.Split(s, ".") {
		if k == "" || strings.ContainsAny(k, " {}[]$\"'") {
			return path{}, fmt.Errorf("bad path %q: keys are letters, digits, '_' and '-' separated by '.'", s)
		}
		p.keys = append(p.keys, k)
	}
	return p, nil
}

// eval returns the values of the expression on cur (the current element)
// within root (the item).
func (e *expr) eval(root, cur any) []any {
	var vals []any
	for _, p := range e.alts {
		start := cur
		if p.root {
			start = root
		}
		if vals = p.eval(start); len(vals) > 0 {
			break
		}
	}
	for _, t := range e.transforms {
		vals = t.fn(vals, t.arg)
	}
	return vals
}

func (p path) eval(node any) []any {
	nodes := []any{node}
	for _, k := range p.keys {
		var next []any
		for _, n := range nodes {
			next = appendChild(next, n, k)
		}
		nodes = next
	}
	var out []any
	for _, n := range nodes {
		out = appendFlat(out, n)
	}
	return out
}

// appendChild appends node's child k; a list fans out.
func appendChild(out []any, node any, k string) []any {
	switch n := node.(type) {
	case map[string]any:
		if v, ok := lookupKey(n, k); ok {
			out = append(out, v)
		}
	case []any:
		for _, e := range n {
			out = appendChild(out, e, k)
		}
	}
	return out
}

// lookupKey finds k exactly, else ignoring case and underscores.
func lookupKey(m map[string]any, k string) (any, bool) {
	key, ok := lookupKeyName(m, k)
	if !ok {
		return nil, false
	}
	return m[key], true
}

// lookupKeyName returns the key of m that k names.
func lookupKeyName(m map[string]any, k string) (string, bool) {
	if _, ok := m[k]; ok {
		return k, true
	}
	want := foldKey(k)
	// Deterministic choice if several keys fold alike: the smallest.
	var best string
	found := false
	for key := range m {
		if foldKey(key) == want && (!found || key < best) {
			best, found = key, true
		}
	}
	return best, found
}

func foldKey(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "")) }

// appendFlat appends v, flattening lists and dropping null and "".
func appendFlat(out []any, v any) []any {
	switch x := v.(type) {
	case nil:
	case string:
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	case []any:
		for _, e := range x {
			out = appendFlat(out, e)
		}
	default:
		out = append(out, x)
	}
	return out
}

// scalarString renders a scalar value as text; objects render as "".
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}
