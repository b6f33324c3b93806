package gibsim

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// query is a parsed q parameter: clauses that must all match. The API's
// simple forms are served: a bare value ("8.8.8.8"), a typed one
// ("ip:8.8.8.8"), and fields joined by AND (`id: "abc" AND domain: "x"`).
type query []clause

// clause matches an item holding value: under a key named field, or
// anywhere when field is empty or one of the API's type words.
type clause struct {
	field, value string
}

// typeWords are the q prefixes that name a kind of value, not a field.
var typeWords = map[string]bool{"ip": true, "domain": true, "url": true, "hash": true, "md5": true,
	"sha1": true, "sha256": true, "email": true, "cve": true}

var fieldClause = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*(.+)$`)

var errEmptyQuery = errors.New("q is empty")

func parseQuery(q string) (query, error) {
	var out query
	for _, part := range strings.Split(q, " AND ") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, errEmptyQuery
		}
		c := clause{value: part}
		// "http://x" is a value, not the field "http".
		if m := fieldClause.FindStringSubmatch(part); m != nil && !strings.HasPrefix(m[2], "//") {
			c = clause{field: strings.ToLower(m[1]), value: m[2]}
			if typeWords[c.field] {
				c.field = ""
			}
		}
		c.value = strings.ToLower(strings.Trim(strings.TrimSpace(c.value), `"`))
		if c.value == "" {
			return nil, fmt.Errorf("clause %q has no value", part)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errEmptyQuery
	}
	return out, nil
}

// matches reports whether every clause finds its value in the item.
func (q query) matches(item map[string]any) bool {
	for _, c := range q {
		if !c.matches("", item) {
			return false
		}
	}
	return true
}

func (c clause) matches(key string, v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if c.matches(k, e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if c.matches(key, e) {
				return true
			}
		}
	case []string:
		for _, e := range x {
			if c.matches(key, e) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range x {
			if c.matches(key, e) {
				return true
			}
		}
	case string:
		return (c.field == "" || strings.EqualFold(c.field, key)) && strings.EqualFold(x, c.value)
	}
	return false
}

// queryOf reads q, if given; nil when absent.
func queryOf(q url.Values) (query, error) {
	if !q.Has("q") {
		return nil, nil
	}
	return parseQuery(q.Get("q"))
}

// globalSearch answers search?q=: per collection with matching items, its
// API path, label, count and a link to the same query on it.
func (s *Simulator) globalSearch(host string, q url.Values) (any, int) {
	parsed, err := parseQuery(q.Get("q"))
	if err != nil {
		return message("wrong search query: " + err.Error()), http.StatusBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, name := range s.names {
		f := s.feeds[name]
		n := 0
		for _, e := range f.entries {
			if e.live && parsed.matches(s.render(f, e)) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		out = append(out, map[string]any{
			"apiPath": name, "label": label(name), "count": n, "time": 0.01, "detailedLinks": nil,
			"link": "http://" + host + apiPrefix + name + "?" + url.Values{"q": {q.Get("q")}}.Encode(),
		})
	}
	return out, http.StatusOK
}

// label is a portal-style label: "Apt :: Threat".
func label(collection string) string {
	parts := strings.Split(collection, "/")
	for i, p := range parts {
		p = strings.ReplaceAll(p, "_", " ")
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " :: ")
}
