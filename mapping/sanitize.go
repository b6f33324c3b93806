package mapping

import (
	"strconv"
	"strings"
)

// Property shapes, so that an item's drift (a number where a name was
// expected, an object where a string was) never produces a property of the
// wrong type: such values are converted where that is lossless and dropped
// otherwise; an object that then lacks a required property is not made.
var (
	stringProps = set("name", "description", "pattern", "pattern_type", "pattern_version", "value", "abstract",
		"content", "context", "relationship_type", "identity_class", "contact_information", "objective",
		"resource_level", "primary_motivation", "sophistication", "tool_version", "country", "region", "city",
		"administrative_area", "street_address", "postal_code", "display_name", "account_login", "account_type",
		"user_id", "credential", "cpe", "swid", "vendor", "version", "mime_type", "rir", "lang")
	boolProps    = set("is_family", "revoked", "defanged", "is_service_account", "is_privileged", "can_escalate_privs", "is_disabled")
	intProps     = set("confidence", "number_observed", "size", "number")
	stringsProps = set("aliases", "labels", "roles", "goals", "sectors", "indicator_types", "malware_types",
		"threat_actor_types", "report_types", "infrastructure_types", "tool_types", "secondary_motivations",
		"personal_motivations", "capabilities", "implementation_languages", "architecture_execution_envs",
		"languages", "authors")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sanitize brings an object's STIX properties to their types.
func sanitize(obj map[string]any) {
	for k, v := range obj {
		var ok bool
		switch {
		case stringProps[k]:
			v, ok = asString(v)
		case boolProps[k]:
			v, ok = asBool(v)
		case intProps[k]:
			v, ok = asInt(v)
		case stringsProps[k]:
			v, ok = asStrings(v)
		case k == "external_references":
			v, ok = keepObjects(v, "source_name")
			if ok {
				v, ok = keepReferences(v.([]any))
			}
		case k == "kill_chain_phases":
			v, ok = keepObjects(v, "kill_chain_name", "phase_name")
		default:
			continue
		}
		if ok {
			obj[k] = v
		} else {
			delete(obj, k)
		}
	}
}

func asString(v any) (any, bool) {
	if l, isList := v.([]any); isList && len(l) > 0 {
		v = l[0]
	}
	s := scalarString(v)
	return s, s != ""
}

func asBool(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	}
	b, err := strconv.ParseBool(strings.TrimSpace(scalarString(v)))
	return b, err == nil
}

func asInt(v any) (any, bool) {
	n, ok := toInt(v).(int64)
	return n, ok
}

func asStrings(v any) (any, bool) {
	var out []any
	for _, e := range appendFlat(nil, v) {
		if s := scalarString(e); s != "" {
			out = append(out, s)
		}
	}
	return dedupe(out), len(out) > 0
}

// keepObjects keeps the list's objects that have every required key as
// non-empty text.
func keepObjects(v any, required ...string) (any, bool) {
	var out []any
	for _, e := range appendFlat(nil, v) {
		m, isMap := e.(map[string]any)
		if !isMap {
			continue
		}
		complete := true
		for _, r := range required {
			if s, _ := m[r].(string); s == "" {
				complete = false
			}
		}
		if complete {
			out = append(out, m)
		}
	}
	return out, len(out) > 0
}

// keepReferences keeps the external references that say something besides
// their source: STIX 2.1 §2.5 requires a description, url or external_id.
func keepReferences(refs []any) (any, bool) {
	var out []any
	for _, r := range refs {
		m := r.(map[string]any)
		said := false
		for _, k := range []string{"description", "url", "external_id"} {
			v, ok := m[k]
			if !ok {
				continue
			}
			if s := scalarString(v); s != "" && !isObjectOrList(v) {
				m[k], said = s, true // a number where text was expected, as text
			} else {
				delete(m, k)
			}
		}
		if said {
			out = append(out, m)
		}
	}
	return out, len(out) > 0
}

func isObjectOrList(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}
