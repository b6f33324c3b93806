package main

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlSection is where a config struct sits in the file, and its keys.
type yamlSection struct {
	path string
	keys []string
}

// configSections maps each config struct's Go name to its place in the
// file, so that a YAML error can speak of keys, not Go types.
func configSections() map[string]yamlSection {
	out := map[string]yamlSection{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			walk(t.Elem(), path+map[reflect.Kind]string{reflect.Slice: "[]", reflect.Map: ".<name>"}[t.Kind()])
			return
		case reflect.Struct:
		default:
			return
		}
		if _, seen := out[t.Name()]; seen || t.PkgPath() != reflect.TypeFor[Config]().PkgPath() {
			return
		}
		sec := yamlSection{path: strings.TrimPrefix(path, ".")}
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			sec.keys = append(sec.keys, tag)
			walk(t.Field(i).Type, path+"."+tag)
		}
		out[t.Name()] = sec
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type main\.(\w+)$`)
	wrongType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `([^`]*)`)? into (\\S+)$")
)

// explainYAMLError rewrites the YAML decoder's errors in the config's own
// words: the key, where it is, and what to write instead.
func explainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	sections := configSections()
	lines := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		lines = append(lines, explainYAMLLine(e, sections))
	}
	return errors.New("invalid configuration:\n  " + strings.Join(lines, "\n  "))
}

func explainYAMLLine(e string, sections map[string]yamlSection) string {
	if m := unknownField.FindStringSubmatch(e); m != nil {
		sec := sections[m[3]]
		where := "at the top level"
		if sec.path != "" {
			where = "under " + sec.path
		}
		return fmt.Sprintf("line %s: unknown key %q %s%s (keys there: %s)", m[1], m[2], where,
			didYouMean(m[2], sec.keys), strings.Join(sec.keys, ", "))
	}
	if m := wrongType.FindStringSubmatch(e); m != nil {
		return fmt.Sprintf("line %s: %s", m[1], expected(m[2], m[3], m[4], sections))
	}
	return e
}

// expected says what a value of Go type into looks like in YAML.
func expected(got, value, into string, sections map[string]yamlSection) string {
	shown := value
	if shown == "" {
		shown = map[string]string{"seq": "a list", "map": "a mapping"}[got]
	}
	switch {
	case into == "time.Duration":
		return fmt.Sprintf("%s is not a duration: write it with a unit, such as 30s, 5m or 72h", shown)
	case into == "int" || into == "int64" || into == "float64":
		return fmt.Sprintf("%s is not a number", shown)
	case into == "bool":
		return fmt.Sprintf("%s is not true or false", shown)
	case into == "string":
		return fmt.Sprintf("%s is not a single value: write one string", shown)
	case strings.HasPrefix(into, "[]"):
		return fmt.Sprintf("%s is not a list: write [a, b] or one \"- item\" per line", shown)
	case strings.HasPrefix(into, "map["):
		return fmt.Sprintf("%s is not a mapping: write \"key: value\" lines", shown)
	}
	if sec, ok := sections[strings.TrimPrefix(into, "main.")]; ok {
		return fmt.Sprintf("%s where %s needs \"key: value\" lines (%s)", shown, orTop(sec.path), strings.Join(sec.keys, ", "))
	}
	return fmt.Sprintf("%s cannot be read as %s", shown, into)
}

func orTop(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}
