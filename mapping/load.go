package mapping

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
)

// Engine maps Group-IB items to STIX 2.1 with the rules of a mappings
// file. It is immutable after loading and safe for concurrent use.
type Engine struct {
	source      string
	collections map[string]*collectionMap
	now         func() time.Time
	defaultTLP  string // defaults.tlp: marks objects shared across items
	filters     *filters
	actors      actorPolicy
}

// Options tune loading.
type Options struct {
	// Now is the clock; it only bounds dates from the future. Default time.Now.
	Now func() time.Time
}

// Load reads and compiles a mappings file.
func Load(path string, opts Options) (*Engine, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, opts)
}

// Parse compiles mappings from src; name is used in error messages. Every
// problem found is reported, each as "name:line: reason".
func Parse(name string, src []byte, opts Options) (*Engine, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	l := &loader{file: name, maps: map[string]map[string]string{}, filters: defaultFilters(), actors: defaultActorPolicy()}
	e := &Engine{source: name, collections: map[string]*collectionMap{}, now: opts.Now}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mappings file (a YAML mapping with collections)", name)
	}
	l.top(doc.Content[0], e)
	e.defaultTLP = l.defaults.tlp
	e.filters, e.actors = l.filters, l.actors
	if len(l.errs) > 0 {
		return nil, &LoadError{Problems: l.errs}
	}
	return e, nil
}

// LoadError lists every problem of a mappings file.
type LoadError struct {
	Problems []string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%d problem(s) in the mappings:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Source is the name of the mappings file the engine was loaded from.
func (e *Engine) Source() string { return e.source }

// Collections returns the collections the engine has rules for, sorted.
func (e *Engine) Collections() []string {
	names := make([]string, 0, len(e.collections))
	for n := range e.collections {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// loader compiles the YAML tree and collects problems.
type loader struct {
	file     string
	maps     map[string]map[string]string
	defaults defaults
	filters  *filters
	actors   actorPolicy
	errs     []string
	// refNodes are the rule names refs used in the collection being
	// loaded, checked once all its rules are known.
	refNodes []*yaml.Node
}

type defaults struct {
	tlp         string
	ttlDays     int
	personal    bool
	observables bool
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.errs = append(l.errs, fmt.Sprintf("%s:%d: %s", l.file, n.Line, fmt.Sprintf(format, args...)))
}

// pairs iterates a mapping node's keys and values, refusing other kinds.
// YAML merge keys (<<: *anchor) are honoured: merged pairs come first, so
// that the mapping's own keys override them.
func (l *loader) pairs(n *yaml.Node, what string, fn func(key string, k, v *yaml.Node)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping", what)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "<<" {
			for _, m := range scalarsOf(resolve(n.Content[i+1])) {
				l.pairs(m, what, fn)
			}
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		if key == "<<" {
			continue
		}
		if seen[key] {
			l.errorf(n.Content[i], "%q is given twice in %s", key, what)
		}
		seen[key] = true
		fn(key, n.Content[i], resolve(n.Content[i+1]))
	}
}

// resolve follows YAML aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (l *loader) top(n *yaml.Node, e *Engine) {
	l.defaults = defaults{tlp: "amber", ttlDays: 90, observables: true}
	var colls *yaml.Node
	l.pairs(n, "the file", func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			l.checkVersion(v)
		case "defaults":
			l.loadDefaults(v)
		case "maps":
			l.loadMaps(v)
		case "filters":
			l.loadFilters(v)
		case "actors":
			l.loadActors(v)
		case "collections":
			colls = v
		case "shared":
			// A library of rules and values that collections refer to
			// with YAML aliases; not read by itself.
		default:
			l.errorf(k, "unknown key %q (version, defaults, maps, filters, actors, shared, collections)", key)
		}
	})
	if colls == nil {
		l.errorf(n, "no collections")
		return
	}
	// maps and defaults are read before any collection uses them.
	l.pairs(colls, "collections", func(name string, k, v *yaml.Node) {
		if _, dup := e.collections[name]; dup {
			l.errorf(k, "collection %q defined twice", name)
		}
		if cm := l.collection(name, v); cm != nil {
			e.collections[name] = cm
		}
	})
}

// checkVersion accepts version 2. Version 1 files linked every source
// object of an item to every target object; that form is refused, not
// reinterpreted, so that an edited copy cannot keep inventing links.
func (l *loader) checkVersion(v *yaml.Node) {
	switch v.Value {
	case "2":
	case "1":
		l.errorf(v, "version 1 mappings link every source object of an item to every target object, "+
			"which asserts links Group-IB never made; this gib-taxii reads version 2, where each relationship says "+
			"what states it (per: an element, list: an explicit relationship list, or a subject: rule): "+
			"start from the shipped mappings.yaml (gib-taxii mappings show) and carry your changes over")
	default:
		l.errorf(v, "version %q: this gib-taxii reads version 2", v.Value)
	}
}

func (l *loader) loadDefaults(n *yaml.Node) {
	l.pairs(n, "defaults", func(key string, k, v *yaml.Node) {
		switch key {
		case "tlp":
			l.defaults.tlp = l.tlpName(v)
		case "ttl_days":
			l.defaults.ttlDays = l.intValue(v, 0, 3650)
		case "personal_data":
			l.defaults.personal = l.boolValue(v)
		case "observables":
			l.defaults.observables = l.boolValue(v)
		default:
			l.errorf(k, "unknown key %q in defaults (tlp, ttl_days, personal_data, observables)", key)
		}
	})
}

// loadMaps reads named lookup tables for the map(name) transform.
func (l *loader) loadMaps(n *yaml.Node) {
	l.pairs(n, "maps", func(name string, k, v *yaml.Node) {
		m := map[string]string{}
		l.pairs(v, "map "+name, func(from string, fk, fv *yaml.Node) {
			if fv.Kind != yaml.ScalarNode {
				l.errorf(fv, "map %s: %q must map to a text value", name, from)
			}
			m[strings.ToLower(from)] = fv.Value
		})
		l.maps[name] = m
	})
}

func (l *loader) tlpName(v *yaml.Node) string {
	level := tlpLevel(v.Value)
	if level == "" {
		l.errorf(v, "tlp %q: use clear, white, green, amber, amber+strict or red", v.Value)
	}
	return level
}

func (l *loader) intValue(v *yaml.Node, lo, hi int) int {
	var n int
	if err := v.Decode(&n); err != nil || n < lo || n > hi {
		l.errorf(v, "%q must be a whole number from %d to %d", v.Value, lo, hi)
	}
	return n
}

func (l *loader) boolValue(v *yaml.Node) bool {
	var b bool
	if err := v.Decode(&b); err != nil {
		l.errorf(v, "%q must be true or false", v.Value)
	}
	return b
}

func (l *loader) expr(v *yaml.Node) *expr {
	if v.Kind != yaml.ScalarNode || v.Value == "" {
		l.errorf(v, "expected a path expression such as evaluation.tlp || evaluation.TLP")
		return nil
	}
	e, err := parseExpr(v.Value, l.maps)
	if err != nil {
		l.errorf(v, "%v", err)
		return nil
	}
	return e
}

var errNoDate = errors.New("the item has none of the configured date fields")

// ErrNoRule reports a collection the mappings have no rules for.
var ErrNoRule = errors.New("no mapping rules for this collection")

// Namespace is gib-taxii's UUIDv5 namespace for SDO and SRO ids. It is
// not the STIX SCO namespace: these ids are ours, stable across re-ingest.
var Namespace = uuid.MustParse("6b1d4f3e-2a58-4c7e-9d1b-0f3a5c7e9b24")
