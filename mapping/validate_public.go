package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ValidateObject checks one STIX 2.1 object from outside the mapping (an
// imported bundle, a pushed envelope) with the same code that checks every
// mapped object: a STIX 2.1 (or x- custom) type, spec_version 2.1, an id of
// that type, the common and the type's required properties, no property
// the type does not define (x_ custom ones aside), timestamps, confidence,
// references, vocabularies, and patterns through the STIX pattern parser.
// The error says what is wrong.
func ValidateObject(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if obj == nil {
		return errors.New("not a JSON object")
	}
	obj = numbersOf(obj).(map[string]any)
	if err := checkMillis(obj); err != nil {
		return err
	}
	lookup := lookupAnyType
	if declaresExtension(obj) {
		// An extension definition may add a type (new-sdo, new-sco) or
		// top-level properties: their schema is its author's.
		lookup = func(name string) (typeSpec, bool) {
			spec, ok := lookupAnyType(name)
			if !ok && validTypeName(name) {
				spec, ok = typeSpec{kind: kindCustom}, true
			}
			spec.custom = true
			return spec, ok
		}
	}
	return validateWith(obj, validation{lookup: lookup, checkTS: checkAnyTimestamp, external: true})
}

// declaresExtension reports an extensions property naming an extension
// definition (STIX 2.1 §7.3).
func declaresExtension(obj map[string]any) bool {
	ext, _ := obj["extensions"].(map[string]any)
	for k := range ext {
		if strings.HasPrefix(k, "extension-definition--") {
			return true
		}
	}
	return false
}

// validTypeName: 3-250 characters of a-z, 0-9 and inner hyphens (§2.9).
func validTypeName(s string) bool {
	return len(s) >= 3 && len(s) <= 250 && typeNamePattern.MatchString(s)
}

var typeNamePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// checkAnyTimestamp accepts every STIX 2.1 timestamp: RFC 3339 in UTC
// ("Z"), any sub-second precision. (created and modified must also be
// precise to the millisecond: checked by anyTimestampMS.)
func checkAnyTimestamp(s string) error {
	if !stixTimestampShape.MatchString(s) {
		return fmt.Errorf("%q is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", s)
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("%q is not a STIX timestamp: %w", s, err)
	}
	return nil
}

var stixTimestampShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)

// checkMillis: created and modified are precise to the millisecond.
func checkMillis(obj map[string]any) error {
	for _, p := range []string{"created", "modified"} {
		if s, ok := obj[p].(string); ok && !millisShape.MatchString(s) {
			return fmt.Errorf("%s: %q is not precise to the millisecond (YYYY-MM-DDTHH:MM:SS.sssZ)", p, s)
		}
	}
	return nil
}

var millisShape = regexp.MustCompile(`\.\d{3,}Z$`)

// commonRequired are the properties every object of a kind must have
// beyond type, spec_version and id (§3.2).
var commonRequired = map[typeKind][]string{
	kindSDO:  {"created", "modified"},
	kindSRO:  {"created", "modified"},
	kindMeta: {"created"},
}

// numbersOf turns json.Numbers into int64 where whole, else float64, as
// the engine's own objects hold them.
func numbersOf(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbersOf(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbersOf(e)
		}
	}
	return v
}
