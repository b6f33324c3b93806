package mapping

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A C2 answering on IPv6 gets an IPv6 indicator like its IPv4 one.
func TestIPv6C2sAreKept(t *testing.T) {
	e := shipped(t, time.Now())
	objs := objectsOf(t, e, "malware/cnc", `{"id":"c2-1","cnc":"https://c2-sim.com/gate","url":"https://c2-sim.com/gate",
		"domain":"c2-sim.com","ipv4":[{"ip":"45.9.148.7"}],"ipv6":[{"ip":"2a0e:1c80::7"}],"malwareList":[{"name":"Shadar"}],
		"dateFirstSeen":"2026-01-01T00:00:00Z","dateLastSeen":"2026-01-02T00:00:00Z"}`)
	var patterns []string
	for _, i := range byType(objs, "indicator") {
		patterns = append(patterns, i["pattern"].(string))
		assert.Equal(t, []any{map[string]any{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}}, i["kill_chain_phases"])
	}
	assert.Contains(t, patterns, "[ipv6-addr:value = '2a0e:1c80::7']")
	assert.Contains(t, patterns, "[ipv4-addr:value = '45.9.148.7']")
	require.Len(t, byType(objs, "ipv6-addr"), 1)
}

// An indicator stands alone in a SIEM: name, description and labels say
// what it indicates and where it comes from, OpenCTI's score and main
// observable type are set, and it is based on its observable.
func TestIndicatorsStandAlone(t *testing.T) {
	e := shipped(t, time.Now())
	objs := objectsOf(t, e, "apt/threat", `{"id":"t1","title":"Shadow Crew - New indicators","createdAt":"2026-01-01T00:00:00Z",
		"threatActor":{"name":"Shadow Crew","isAPT":true},"evaluation":{"tlp":"amber","severity":"red","credibility":80},
		"indicators":[{"id":"i1","params":{"domain":"cdn-sim.com"},"malwareList":[{"name":"Shadar"}]}]}`)
	inds := byType(objs, "indicator")
	require.Len(t, inds, 1)
	ind := inds[0]
	assert.Equal(t, "cdn-sim.com", ind["name"])
	assert.Equal(t, "Indicates Shadar (malware), Shadow Crew (intrusion set).", ind["description"])
	assert.ElementsMatch(t, []any{"Shadar", "Shadow Crew", "apt/threat"}, ind["labels"])
	assert.Equal(t, "Domain-Name", ind["x_opencti_main_observable_type"])
	assert.EqualValues(t, 90, ind["x_opencti_score"], "Group-IB's red severity")
	assert.EqualValues(t, 80, ind["confidence"])
	assert.Equal(t, "2026-01-01T00:00:00.000Z", ind["valid_from"])
	assert.Equal(t, "2026-04-01T00:00:00.000Z", ind["valid_until"], "the 90-day default TTL")
	based := pick(byType(objs, "relationship"), "based-on")
	require.Len(t, based, 1)
	assert.Equal(t, ind["id"], based[0]["source_ref"])
	assert.Equal(t, byType(objs, "domain-name")[0]["id"], based[0]["target_ref"])
}

// Fields where OpenCTI reads them: CVSS v3 and EPSS on vulnerabilities,
// location and sector types, ATT&CK names.
func TestOpenCTIFields(t *testing.T) {
	e := shipped(t, time.Now())
	vuln := byType(objectsOf(t, e, "osi/vulnerability", `{"id":"CVE-2021-27152","datePublished":"2021-02-10T19:15:00+03:00",
		"dateLastSeen":"2021-02-11T14:35:24+03:00","cvss":{"score":7.5,"vector":"AV:N/AC:L/Au:N/C:P/I:P/A:P"},
		"extCvss":{"base":9.8,"vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		"epss":{"cve":"CVE-2021-27152","epss":0.97,"percentile":0.999,"date":"2024-01-01"},"evaluation":{"tlp":"green"}}`), "vulnerability")
	require.Len(t, vuln, 1)
	v := vuln[0]
	assert.EqualValues(t, 9.8, v["x_opencti_cvss_base_score"])
	assert.Equal(t, "CRITICAL", v["x_opencti_cvss_base_severity"])
	assert.Equal(t, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", v["x_opencti_cvss_vector_string"])
	assert.EqualValues(t, 7.5, v["x_opencti_cvss_v2_base_score"])
	assert.EqualValues(t, 0.97, v["x_opencti_epss_score"])
	assert.EqualValues(t, 0.999, v["x_opencti_epss_percentile"])
	assert.Equal(t, "2021-02-10T16:15:00.000Z", v["x_gib_published"])
	assert.Equal(t, []any{tlp2["green"]}, v["object_marking_refs"], "Group-IB's record of the CVE carries the item's TLP")
	for _, ref := range v["external_references"].([]any) {
		r := ref.(map[string]any)
		if r["external_id"] == "CVE-2021-27152" {
			assert.Equal(t, "cve", r["source_name"], "a CVE id is only referenced under source_name cve")
		}
	}

	profile := objectsOf(t, e, "apt/threat_actor", `{"id":"a1","name":"Shadow Crew","country":"RU","isAPT":true,
		"createdAt":"2019-02-20T17:44:21+00:00","updatedAt":"2024-09-28T03:00:34+03:00",
		"stat":{"countries":["BR"],"regions":["america:northern_america"],"sectors":["financial-services"],
		"dateFirstSeen":"2022-11-01","dateLastSeen":"2024-09-28"}}`)
	names := map[string]map[string]any{}
	for _, l := range append(byType(profile, "location"), byType(profile, "identity")...) {
		names[l["name"].(string)] = l
	}
	require.Contains(t, names, "Russian Federation", "countries are named as OpenCTI names them")
	assert.Equal(t, "Country", names["Russian Federation"]["x_opencti_location_type"])
	assert.Equal(t, "RU", names["Russian Federation"]["country"])
	require.Contains(t, names, "Northern America")
	assert.Equal(t, "northern-america", names["Northern America"]["region"])
	assert.Equal(t, "Region", names["Northern America"]["x_opencti_location_type"])
	require.Contains(t, names, "Finance")
	assert.Equal(t, "class", names["Finance"]["identity_class"], "a sector")
	actor := byType(profile, "intrusion-set")
	require.Len(t, actor, 1)
	assert.Equal(t, "2022-11-01T00:00:00.000Z", actor[0]["first_seen"])
	rels := map[string]int{}
	for _, r := range byType(profile, "relationship") {
		rels[r["relationship_type"].(string)]++
	}
	assert.Equal(t, map[string]int{"originates-from": 1, "targets": 3}, rels)

	tech := byType(objectsOf(t, e, "apt/threat", `{"id":"t2","title":"T","createdAt":"2026-01-01T00:00:00Z",
		"mitreMatrix":[{"id":"T1566.001"},{"id":"PRE-T1105","attackTactic":"establish-&-maintain-infrastructure"}]}`), "attack-pattern")
	byName := map[string]map[string]any{}
	for _, a := range tech {
		byName[a["name"].(string)] = a
	}
	require.Contains(t, byName, "Phishing: Spearphishing Attachment")
	assert.Equal(t, "T1566.001", byName["Phishing: Spearphishing Attachment"]["x_mitre_id"])
	require.Len(t, tech, 2, "PRE-ATT&CK techniques are kept: %v", byName)
	for name, a := range byName {
		if a["x_mitre_id"] != "T1566.001" {
			assert.Equal(t, "mitre-pre-attack", a["kill_chain_phases"].([]any)[0].(map[string]any)["kill_chain_name"], name)
		}
	}
}

// Names identify shared objects whatever their case and spacing, and the
// actors policy decides an actor's type by name alone, with the
// operator's overrides.
func TestActorPolicy(t *testing.T) {
	src := `version: 2
actors:
  types: {"sky008": threat-actor}
collections:
  x/y:
    created: d
    objects:
      - {rule: actor, type: actor, each: names, scope: global, key: "{$}",
         properties: {name: "{$}", threat_actor_types: [criminal]}}
`
	e, err := Parse("m.yaml", []byte(src), Options{})
	require.NoError(t, err)
	objs := objectsOf(t, e, "x/y", `{"id":"1","d":"2026-01-01","names":[" Shadow  Crew ","shadow crew","SKY008"]}`)
	sets := byType(objs, "intrusion-set")
	require.Len(t, sets, 1, "one object for one name")
	assert.Equal(t, "Shadow Crew", sets[0]["name"])
	assert.NotContains(t, sets[0], "threat_actor_types", "an intrusion set has no threat_actor_types")
	tas := byType(objs, "threat-actor")
	require.Len(t, tas, 1)
	assert.Equal(t, []any{"criminal"}, tas[0]["threat_actor_types"])
	assert.Equal(t, "SKY008", tas[0]["name"], "the override matched whatever the case")
}

// A note hangs on the thing it describes, and says what the item has.
func TestNotesHangOnWhatTheyDescribe(t *testing.T) {
	e := shipped(t, time.Now())
	for collection, item := range map[string]string{
		"compromised/account_group": `{"id":"a1","dateFirstSeen":"2026-01-01T00:00:00Z","service":{"host":"portal.corp-sim.com"},
			"events":[{"cnc":{},"malware":null}],"eventCount":1}`,
		"compromised/discord":    `{"id":"d1","ts":"2026-01-01T00:00:00Z","channel":{"id":"c1","name":"market","server":"Shop","serverId":"s1"},"text":"x"}`,
		"compromised/reaper":     `{"id":"r1","datetime":"2026-01-01T00:00:00Z","domain":["corp-sim.com"],"title":"combo"}`,
		"osi/git_repository":     `{"id":"g1","dateDetected":"2026-01-01T00:00:00Z","name":"https://github.com/dev/leaky","source":"github"}`,
		"suspicious_ip/tor_node": `{"id":"185.100.0.9","ipv4":{"ip":"185.100.0.9"},"dateFirstSeen":"2026-01-01T00:00:00Z"}`,
	} {
		objs := objectsOf(t, e, collection, item)
		notes := byType(objs, "note")
		require.Len(t, notes, 1, collection)
		refs := notes[0]["object_refs"].([]any)
		assert.NotContains(t, refs, groupIBIdentity, "%s: the note refers to its anchor, not to Group-IB", collection)
		assert.NotEmpty(t, refs, collection)
	}
	notes := byType(objectsOf(t, e, "compromised/account_group", `{"id":"a2","dateFirstSeen":"2026-01-01T00:00:00Z",
		"service":{"url":"https://portal.corp-sim.com/login"},"eventCount":3}`), "note")
	assert.Equal(t, "Credentials for https://portal.corp-sim.com/login were compromised. Group-IB saw them 3 time(s).", notes[0]["content"],
		"the content says what the item has, without a placeholder for what it lacks")
}

// defaults.observables: false leaves the SCOs and based-on out.
func TestObservablesCanBeTurnedOff(t *testing.T) {
	e := shippedWith(t, "  observables: true ", "  observables: false")
	item := `{"id":"c","url":"https://a-sim.com/x","ip":["45.9.148.7"],"malwareList":[{"name":"M"}],"dateFirstSeen":"2026-01-01"}`
	objs := objectsOf(t, e, "ioc/common", item)
	assert.Len(t, byType(objs, "indicator"), 2)
	assert.Empty(t, byType(objs, "ipv4-addr"))
	assert.Empty(t, byType(objs, "url"))
	assert.Empty(t, pick(byType(objs, "relationship"), "based-on"))
	assert.Len(t, byType(objectsOf(t, shipped(t, time.Now()), "ioc/common", item), "ipv4-addr"), 1, "on by default")
}

// An IOC value is not published at a weaker TLP than the item that names
// it: its observable (and a C2 named by it) takes the stricter marking.
func TestValuesKeepTheirItemsStricterMarking(t *testing.T) {
	e := shipped(t, time.Now())
	item := `{"id":"t1","title":"T","createdAt":"2026-01-01T00:00:00Z","evaluation":{"tlp":"%s"},
		"indicators":[{"id":"i1","params":{"ipv4":["45.9.148.7"]}}]}`
	for tlp, want := range map[string]string{"red": "red", "green": "amber", "amber": "amber"} {
		objs := objectsOf(t, e, "apt/threat", strings.Replace(item, "%s", tlp, 1))
		ips := byType(objs, "ipv4-addr")
		require.Len(t, ips, 1)
		assert.Equal(t, []any{tlp2[want]}, ips[0]["object_marking_refs"], "a %s item's observable", tlp)
	}
}

// Parts of a join that start with punctuation close the text before them.
func TestJoinPunctuation(t *testing.T) {
	j := joinValue{sep: " ", parts: []value{constValue{"A repository"}, constValue{"(keyword)"}, constValue{","},
		constValue{"."}, constValue{"Link: x"}, constValue{"."}}}
	assert.Equal(t, []any{"A repository (keyword). Link: x."}, j.eval(&evalCtx{}, nil))
}

// An SCO a rule writes out (a user account, with personal data on) is an
// SCO: its id per the spec, no SDO properties.
func TestRuleSCOsAreSCOs(t *testing.T) {
	e := shippedWith(t, "  personal_data: false ", "  personal_data: true  ")
	objs := objectsOf(t, e, "compromised/breached", `{"id":"b1","leakName":"L","email":["user04@corp-sim.com"],
		"uploadTime":"2024-10-01T01:45:13","evaluation":{"tlp":"red"}}`)
	accounts := byType(objs, "user-account")
	require.Len(t, accounts, 1)
	assert.Equal(t, "user-account--"+uuidOf(`{"account_login":"user04@corp-sim.com"}`), accounts[0]["id"])
	for _, p := range []string{"created", "modified", "created_by_ref", "confidence"} {
		assert.NotContains(t, accounts[0], p)
	}
	assert.Equal(t, []any{tlp2["red"]}, accounts[0]["object_marking_refs"], "personal data keeps the item's TLP")
}

// shippedWith loads the shipped mappings with one text replaced, as an
// operator's edited copy would be.
func shippedWith(t *testing.T, old, edit string) *Engine {
	t.Helper()
	src, err := os.ReadFile("../mappings.yaml")
	require.NoError(t, err)
	edited := strings.Replace(string(src), old, edit, 1)
	require.NotEqual(t, string(src), edited, "%q is in the shipped mappings", old)
	e, err := Parse("m.yaml", []byte(edited), Options{})
	require.NoError(t, err)
	return e
}
