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

const base = `version: 2
collections:
  ioc/common:
    created: dateFirstSeen
    objects:
      - rule: url
        type: indicator
        each: url
        observable: url
        properties:
          indicator_types: [malicious-activity]
`

// twoLists is a collection whose IOC records each carry their own
// malware list, beside the item's own list of families.
const twoLists = `version: 2
collections:
  apt/threat:
    created: createdAt
    objects:
      - {rule: ip, type: indicator, each: indicators.params.ipv4, observable: ip}
      - {rule: own-malware, type: malware, each: indicators.malwareList.name, scope: global, key: "{$}", properties: {name: "{$}", is_family: true}}
      - {rule: malware, type: malware, each: malwareList.name, scope: global, key: "{$}", properties: {name: "{$}", is_family: true}}
      - {rule: actor, type: actor, each: threatActor.name, scope: global, key: "{$}", properties: {name: "{$}"}}
    relationships:
`

// Every problem of a mappings file is reported at once, with its line.
func TestLoadErrors(t *testing.T) {
	cases := map[string]struct {
		yaml string
		want []string
	}{
		"unknown top key": {"version: 2\ncolour: blue\ncollections: {}\n", []string{`m.yaml:2: unknown key "colour"`}},
		"bad version":     {strings.Replace(base, "version: 2", "version: 3", 1), []string{"m.yaml:1: version \"3\""}},
		"old form": {strings.Replace(base, "version: 2", "version: 1", 1),
			[]string{"m.yaml:1: version 1 mappings link every source object of an item to every target object"}},
		"unknown collection key": {strings.Replace(base, "    created:", "    creatd: x\n    created:", 1),
			[]string{`m.yaml:4: unknown key "creatd" in collection ioc/common`}},
		"unknown type":      {strings.Replace(base, "type: indicator", "type: indicatr", 1), []string{`m.yaml:6: rule url: "indicatr" is not a STIX 2.1 type`}},
		"unknown property":  {strings.Replace(base, "indicator_types: [malicious-activity]", "colour: red", 1), []string{`m.yaml:11: rule url: indicator has no property "colour"`}},
		"engine property":   {strings.Replace(base, "indicator_types: [malicious-activity]", "id: x", 1), []string{"m.yaml:11: rule url: id is set by the engine"}},
		"bad path":          {strings.Replace(base, "each: url", "each: url..x", 1), []string{"m.yaml:8: bad path"}},
		"unknown transform": {strings.Replace(base, "each: url", "each: url | shout", 1), []string{`unknown transform "shout"`}},
		"unknown map":       {strings.Replace(base, "each: url", "each: url | map(colours)", 1), []string{`no map named "colours"`}},
		"hand-written STIX pattern": {strings.Replace(base, "        observable: url\n", "", 1) + "",
			[]string{"m.yaml:6: rule url: a STIX-pattern indicator takes its value from observable:"}},
		"pattern beside observable": {strings.Replace(base, "indicator_types: [malicious-activity]", "pattern: \"[url:value = 'x']\"", 1),
			[]string{"rule url: the engine writes pattern from observable:"}},
		"unknown observable kind": {strings.Replace(base, "observable: url", "observable: mutex", 1), []string{`observable "mutex"`}},
		"observable on a malware": {strings.Replace(base, "type: indicator", "type: malware", 1),
			[]string{"rule url: observable: is for indicator and observable rules"}},
		"vocab constant": {strings.Replace(base, "[malicious-activity]", "[very-bad]", 1),
			[]string{`"very-bad" is not in the STIX vocabulary of indicator_types`}},
		"unknown rule in relationship": {base + "    relationships:\n      - {source: url, type: indicates, target: malware}\n",
			[]string{`m.yaml:13: no rule named "malware"`}},
		"relationship not allowed": {strings.Replace(base, "    objects:\n", "    objects:\n      - {rule: ip, type: observable, observable: ip, each: ip}\n", 1) +
			"    relationships:\n      - {source: ip, type: indicates, target: url}\n",
			[]string{"ipv4-addr indicates indicator (rules ip, url) is not a relationship the STIX 2.1 tables allow"}},
		"global without key": {strings.Replace(base, "each: url", "each: url\n        scope: global", 1), []string{"a global rule needs a key"}},
		"no dates":           {strings.Replace(base, "    created: dateFirstSeen\n", "", 1), []string{"set created and/or modified"}},
		"two problems": {strings.Replace(strings.Replace(base, "type: indicator", "type: indicatr", 1), "created: dateFirstSeen", "created: a..b", 1),
			[]string{"m.yaml:4: bad path", `m.yaml:6: rule url: "indicatr"`}},
		// The cross product of two lists cannot be written by accident.
		"cross product of two lists": {twoLists + "      - {source: ip, type: indicates, target: malware}\n",
			[]string{"m.yaml:11: ip indicates malware at item level would link every value of ip to every value of malware"}},
		"per element the rules are not within": {twoLists + "      - {per: indicators, source: ip, type: indicates, target: malware}\n",
			[]string{"per indicators: rule malware takes values from malwareList.name, which is not within indicators"}},
		"per the item itself": {twoLists + "      - {per: \"/$\", source: ip, type: indicates, target: malware}\n",
			[]string{"per: \"/$\" must be a path from the item root"}},
		"list without ids": {twoLists + "      - {list: indicatorMalwareRelationships, source: ip, type: indicates, target: malware}\n",
			[]string{"list: needs source_id and target_id"}},
		"subject without each": {strings.Replace(base, "each: url\n", "subject: true\n", 1),
			[]string{"rule url: subject is for a rule with each"}},
		"no allowed type of several": {twoLists + "      - {source: actor, type: [indicates, exploits], target: malware, per: x}\n",
			[]string{"intrusion-set indicates or exploits malware"}},
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
	// What states a link may be the element, an explicit list or the
	// item's subject.
	for _, rel := range []string{
		"{per: indicators, source: ip, type: indicates, target: own-malware}",
		"{list: indicatorMalwareRelationships, source_id: $.sourceId, target_id: $.targetId, source: ip, type: indicates, target: [malware, own-malware]}",
		"{source: ip, type: indicates, target: actor}",
	} {
		subject := strings.Replace(twoLists, "each: threatActor.name,", "each: threatActor.name, subject: true,", 1)
		_, err := Parse("m.yaml", []byte(subject+"      - "+rel+"\n"), Options{})
		assert.NoError(t, err, rel)
	}
}
