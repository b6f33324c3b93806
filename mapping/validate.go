package mapping

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// validateObject checks an object before it leaves the engine: required
// properties, spec_version, id, timestamps, confidence, references,
// vocabularies and, for STIX-pattern indicators, the pattern itself.
func validateObject(obj map[string]any) error {
	return validateWith(obj, validation{lookup: lookupType, checkTS: checkTimestamp})
}

// validation says how strict validateWith is: the engine's own objects
// have one timestamp form and only vocabulary values; objects from outside
// may use any STIX timestamp and any value of an open vocabulary.
type validation struct {
	lookup  func(string) (typeSpec, bool)
	checkTS func(string) error
	// external: open vocabularies are open, an SCO may leave out
	// spec_version, observed-data may carry the deprecated objects.
	external bool
}

func validateWith(obj map[string]any, v validation) error {
	typ, _ := obj["type"].(string)
	spec, ok := v.lookup(typ)
	if !ok {
		return fmt.Errorf("type %q is not a STIX 2.1 type", typ)
	}
	if sv, set := obj["spec_version"]; sv != "2.1" && !(v.external && spec.kind == kindSCO && !set) {
		return errors.New(`spec_version must be "2.1"`)
	}
	if id, _ := obj["id"].(string); !isSTIXID(id) || !strings.HasPrefix(id, typ+"--") {
		return fmt.Errorf("id %q is not a %s identifier", obj["id"], typ)
	}
	for _, p := range slices.Concat(commonRequired[spec.kind], spec.required) {
		if isEmpty(obj[p]) {
			return fmt.Errorf("%s: required property %s is missing", typ, p)
		}
	}
	if len(spec.oneOf) > 0 && !slices.ContainsFunc(spec.oneOf, func(p string) bool { return !isEmpty(obj[p]) }) {
		return fmt.Errorf("%s: one of %s is required", typ, strings.Join(spec.oneOf, ", "))
	}
	for p := range obj {
		if !spec.allowsProperty(p) {
			return fmt.Errorf("%s: %s is not a property of the type", typ, p)
		}
	}
	if err := checkTimestamps(obj, v.checkTS); err != nil {
		return err
	}
	for _, check := range []func(map[string]any, typeSpec) error{checkConfidence, checkRefs} {
		if err := check(obj, spec); err != nil {
			return err
		}
	}
	if err := checkVocab(obj, spec, v.external); err != nil {
		return err
	}
	return checkType(typ, obj)
}

// closedVocabs are the properties whose values STIX 2.1 enumerates (the
// others are open vocabularies: any value is valid).
var closedVocabs = map[string]bool{"opinion": true}

// instant is a checked timestamp's time, compared as times: precisions
// differ between writers, so their texts do not sort.
func instant(v any) time.Time {
	s, _ := v.(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

var timestampProps = []string{"created", "modified", "valid_from", "valid_until", "published", "first_seen",
	"last_seen", "first_observed", "last_observed", "start_time", "stop_time"}

func checkTimestamps(obj map[string]any, checkTimestamp func(string) error) error {
	for _, p := range timestampProps {
		v, ok := obj[p]
		if !ok {
			continue
		}
		s, _ := v.(string)
		if err := checkTimestamp(s); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	if m, c := instant(obj["modified"]), instant(obj["created"]); !m.IsZero() && !c.IsZero() && m.Before(c) {
		return fmt.Errorf("modified %s is before created %s", obj["modified"], obj["created"])
	}
	if u, f := instant(obj["valid_until"]), instant(obj["valid_from"]); !u.IsZero() && !f.IsZero() && !u.After(f) {
		return fmt.Errorf("valid_until %s is not after valid_from %s", obj["valid_until"], obj["valid_from"])
	}
	return nil
}

func checkConfidence(obj map[string]any, _ typeSpec) error {
	v, ok := obj["confidence"]
	if !ok {
		return nil
	}
	n, isInt := v.(int64)
	if !isInt || n < 0 || n > 100 {
		return fmt.Errorf("confidence %v is not an integer from 0 to 100", v)
	}
	return nil
}

// checkRefs requires *_ref and *_refs properties to hold identifiers.
func checkRefs(obj map[string]any, _ typeSpec) error {
	for k, v := range obj {
		if !strings.HasSuffix(k, "_ref") && !strings.HasSuffix(k, "_refs") {
			continue
		}
		for _, r := range appendFlat(nil, v) {
			if s, _ := r.(string); !isSTIXID(s) {
				return fmt.Errorf("%s: %v is not a STIX identifier", k, r)
			}
		}
	}
	return nil
}

// checkVocab checks values against their vocabularies: every one for the
// engine's own objects, the closed ones only when open is set.
func checkVocab(obj map[string]any, spec typeSpec, open bool) error {
	for prop, vocab := range spec.vocab {
		if open && !closedVocabs[prop] {
			continue
		}
		for _, v := range appendFlat(nil, obj[prop]) {
			if s := scalarString(v); !vocab[s] {
				return fmt.Errorf("%s: %q is not in the STIX 2.1 vocabulary", prop, s)
			}
		}
	}
	return nil
}

var customName = regexp.MustCompile(`^[a-z0-9_]{3,250}$`)

// checkType applies type-specific rules.
func checkType(typ string, obj map[string]any) error {
	for k := range obj {
		if strings.HasPrefix(k, "x_") && !customName.MatchString(k) {
			return fmt.Errorf("custom property name %q is not 3-250 characters of a-z, 0-9 and _", k)
		}
	}
	switch typ {
	case "indicator":
		if obj["pattern_type"] == "stix" {
			p, _ := obj["pattern"].(string)
			parsed, err := ParsePattern(p)
			if err == nil {
				err = parsed.CheckObjectModel()
			}
			if err != nil {
				return fmt.Errorf("pattern %q: %w", obj["pattern"], err)
			}
		}
	case "malware":
		if obj["is_family"] == true && isEmpty(obj["name"]) {
			return errors.New("malware: a family needs a name")
		}
	case "location":
		if isEmpty(obj["region"]) && isEmpty(obj["country"]) && (obj["latitude"] == nil || obj["longitude"] == nil) {
			return errors.New("location: needs region, country, or latitude and longitude")
		}
	}
	return nil
}
