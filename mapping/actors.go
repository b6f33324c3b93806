package mapping

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// actorPolicy decides the STIX type of a named actor from its name alone,
// so that every collection, whatever its items say (isAPT, or nothing),
// makes the same object for the same actor. An item never decides it:
// NetTraveler is one object whether a profile, a C2 or a report names it.
type actorPolicy struct {
	defaultType string            // intrusion-set or threat-actor
	byName      map[string]string // normalised name -> type, the operator's overrides
}

func defaultActorPolicy() actorPolicy {
	return actorPolicy{defaultType: "intrusion-set", byName: map[string]string{}}
}

// typeOf returns the STIX type of the actor named name.
func (p actorPolicy) typeOf(name string) string {
	if t, ok := p.byName[normalizeKey(name)]; ok {
		return t
	}
	return p.defaultType
}

func (l *loader) loadActors(n *yaml.Node) {
	l.pairs(n, "actors", func(key string, k, v *yaml.Node) {
		switch key {
		case "default":
			l.actors.defaultType = l.actorType(v)
		case "types":
			l.pairs(v, "actors.types", func(name string, nk, tv *yaml.Node) {
				l.actors.byName[normalizeKey(name)] = l.actorType(tv)
			})
		default:
			l.errorf(k, "unknown key %q in actors (default, types)", key)
		}
	})
}

func (l *loader) actorType(v *yaml.Node) string {
	if v.Value != "intrusion-set" && v.Value != "threat-actor" {
		l.errorf(v, "actor type %q: intrusion-set or threat-actor", v.Value)
	}
	return v.Value
}

// actorSpec allows what either actor type may carry; what the chosen type
// does not have is left out when the object is made.
var actorSpec = func() typeSpec {
	is, ta := stixTypes["intrusion-set"], stixTypes["threat-actor"]
	props := append([]string{}, is.props...)
	for _, p := range ta.props {
		if !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	return withAllowed(typeSpec{kind: kindSDO, props: props, required: []string{"name"}, vocab: merge(is.vocab, ta.vocab)})
}()

// resolveActor gives an actor object its STIX type and drops what that
// type cannot carry (threat_actor_types on an intrusion set).
func (p actorPolicy) resolveActor(obj map[string]any) string {
	name, _ := obj["name"].(string)
	typ := p.typeOf(name)
	spec := stixTypes[typ]
	for k := range obj {
		if !spec.allowsProperty(k) {
			delete(obj, k)
		}
	}
	return typ
}

// normalizeKey is how names identify shared objects: case, surrounding
// and repeated white space do not make another actor or family.
func normalizeKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// normalizeName tidies a shared object's name the same way, keeping case.
func normalizeName(s string) string { return strings.Join(strings.Fields(s), " ") }
