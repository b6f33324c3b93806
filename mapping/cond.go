package mapping

import (
	"regexp"
	"strings"
)

// cond is a compiled condition ("when").
type cond interface {
	test(c *evalCtx, cur any) bool
}

// truthy holds when the expression yields a value that is not false, 0,
// "false" or "0".
type truthy struct{ e *expr }

func (t truthy) test(c *evalCtx, cur any) bool {
	for _, v := range t.e.eval(c.root, cur) {
		switch s := strings.ToLower(scalarString(v)); s {
		case "false", "0", "":
			if _, isObj := v.(map[string]any); isObj {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// inCond holds when any value of the expression is one of the given
// (compared as lower-case text).
type inCond struct {
	e      *expr
	values map[string]bool
}

func (i inCond) test(c *evalCtx, cur any) bool {
	for _, v := range i.e.eval(c.root, cur) {
		if i.values[strings.ToLower(scalarString(v))] {
			return true
		}
	}
	return false
}

type matchCond struct {
	e  *expr
	re *regexp.Regexp
}

func (m matchCond) test(c *evalCtx, cur any) bool {
	for _, v := range m.e.eval(c.root, cur) {
		if m.re.MatchString(scalarString(v)) {
			return true
		}
	}
	return false
}

type allCond []cond

func (a allCond) test(c *evalCtx, cur any) bool {
	for _, x := range a {
		if !x.test(c, cur) {
			return false
		}
	}
	return true
}

type anyCond []cond

func (a anyCond) test(c *evalCtx, cur any) bool {
	for _, x := range a {
		if x.test(c, cur) {
			return true
		}
	}
	return false
}

type notCond struct{ inner cond }

func (n notCond) test(c *evalCtx, cur any) bool { return !n.inner.test(c, cur) }
