package mapping

import (
	"strings"
	"testing"

	gibtaxii "github.com/gib-taxii/gib-taxii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShippedMappingsLoad(t *testing.T) {
	e, err := Parse("mappings.yaml", gibtaxii.DefaultMappings(), Options{})
	require.NoError(t, err)
	assert.Contains(t, e.Collections(), "ioc/common")
}

const base = `version: 1
collections:
  ioc/common:
    created: dateFirstSeen
    objects:
      - rule: url
        type: indicator
        each: url
        properties:
          pattern: {pattern: "url:value = {$}"}
          pattern_type: stix
`

// Every problem of a mappings file is reported at once, with its line.
func TestLoadErrors(t *testing.T) {
	cases := map[string]struct {
		yaml string
		want []string
	}{
		"unknown top key": {"version: 1\ncolour: blue\ncollections: {}\n", []string{`m.yaml:2: unknown key "colour"`}},
		"bad version":     {strings.Replace(base, "version: 1", "version: 2", 1), []string{"m.yaml:1: version \"2\""}},
		"unknown collection key": {strings.Replace(base, "    created:", "    creatd: x\n    created:", 1),
			[]string{`m.yaml:4: unknown key "creatd" in collection ioc/common`}},
		"unknown type":      {strings.Replace(base, "type: indicator", "type: indicatr", 1), []string{`m.yaml:6: rule url: "indicatr" is not a STIX 2.1 type`}},
		"unknown property":  {strings.Replace(base, "pattern_type: stix", "pattern_type: stix\n          colour: red", 1), []string{`m.yaml:12: rule url: indicator has no property "colour"`}},
		"engine property":   {strings.Replace(base, "pattern_type: stix", "pattern_type: stix\n          id: x", 1), []string{"m.yaml:12: rule url: id is set by the engine"}},
		"bad path":          {strings.Replace(base, "each: url", "each: url..x", 1), []string{"m.yaml:8: bad path"}},
		"unknown transform": {strings.Replace(base, "{$}", "{$ | shout}", 1), []string{`unknown transform "shout"`}},
		"unknown map":       {strings.Replace(base, "{$}", "{$ | map(colours)}", 1), []string{`no map named "colours"`}},
		"bad pattern template": {strings.Replace(base, `"url:value = {$}"`, `"url:value == {$}"`, 1),
			[]string{"m.yaml:10: rule url: this pattern template cannot produce a valid pattern"}},
		"vocab constant": {strings.Replace(base, "pattern_type: stix", "pattern_type: stix\n          indicator_types: [very-bad]", 1),
			[]string{`"very-bad" is not in the STIX vocabulary of indicator_types`}},
		"unknown rule in relationship": {base + "    relationships:\n      - {source: url, type: indicates, target: malware}\n",
			[]string{`m.yaml:13: no rule named "malware"`}},
		"relationship not allowed": {strings.Replace(base, "    objects:\n", "    objects:\n      - {rule: ip, type: ipv4-addr, each: ip, properties: {value: \"{$}\"}}\n", 1) +
			"    relationships:\n      - {source: ip, type: indicates, target: url}\n", []string{"ipv4-addr indicates indicator is not a relationship the STIX 2.1 tables allow"}},
		"global without key": {strings.Replace(base, "each: url", "each: url\n        scope: global", 1), []string{"a global rule needs a key"}},
		"no dates":           {strings.Replace(base, "    created: dateFirstSeen\n", "", 1), []string{"set created and/or modified"}},
		"two problems": {strings.Replace(strings.Replace(base, "type: indicator", "type: indicatr", 1), "created: dateFirstSeen", "created: a..b", 1),
			[]string{"m.yaml:4: bad path", `m.yaml:6: rule url: "indicatr"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.yaml), Options{})
			require.Error(t, err)
			for _, want := range tc.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
	_, err := Parse("m.yaml", []byte(base), Options{})
	require.NoError(t, err, "the base itself is valid")
}
