package gibsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const itemSeed = 42

var itemFirstSeen = time.Date(2024, 9, 23, 20, 20, 9, 0, time.UTC)

// renderItem renders item index of spec at revision rev (updated 36 h per
// revision after first seen) and returns its context, body and JSON.
func renderItem(t *testing.T, spec *Spec, drift float64, index, rev int) (*Item, map[string]any, []byte) {
	t.Helper()
	updated := itemFirstSeen.Add(time.Duration(rev) * 36 * time.Hour)
	it := newItem(spec, itemSeed, drift, index, rev, itemFirstSeen, updated)
	m := spec.Generate(it)
	require.NotNil(t, m, spec.Name)
	b, err := json.Marshal(m)
	require.NoError(t, err, spec.Name)
	return it, m, b
}

// decoded round-trips m through JSON, so assertions see what a client sees.
func decoded(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestGeneratorsRenderDeterministicJSON(t *testing.T) {
	for _, spec := range Catalogue() {
		t.Run(spec.Name, func(t *testing.T) {
			for _, drift := range []float64{0, 0.3, 1} {
				for index := range 8 {
					for rev := range 3 {
						_, m, first := renderItem(t, &spec, drift, index, rev)
						_, _, again := renderItem(t, &spec, drift, index, rev)
						assert.Equal(t, string(first), string(again), "index %d rev %d drift %v", index, rev, drift)
						assert.NotContains(t, m, "id", "the server adds id")
						assert.NotContains(t, m, "seqUpdate", "the server adds seqUpdate")
						assert.Greater(t, len(m), 2, "item renders real fields")
					}
				}
			}
		})
	}
}

func TestItemIDsUniquePerCollection(t *testing.T) {
	for _, spec := range Catalogue() {
		seen := make(map[string]int, 2000)
		for index := range 2000 {
			id := itemID(spec.IDForm, itemSeed, spec.Name, index)
			prev, dup := seen[id]
			require.False(t, dup, "%s: index %d and %d share id %s", spec.Name, prev, index, id)
			seen[id] = index
		}
	}
}

// noEvaluation lists the collections Group-IB's own mappings mark
// "NO EVALUATION" (and darkweb/forums, documented without one).
var noEvaluation = map[string]bool{
	"apt/threat_actor": true, "hi/threat_actor": true, "ioc/common": true, "malware/cnc": true,
	"malware/config": true, "malware/malware": true, "malware/signature": true, "malware/yara": true,
	"compromised/discord": true, "compromised/messenger": true, "darkweb/forums": true,
}

func TestEvaluationWithoutDrift(t *testing.T) {
	want := []string{"admiraltyCode", "credibility", "reliability", "severity", "tlp", "ttl"}
	for _, spec := range Catalogue() {
		for index := range 20 {
			_, _, b := renderItem(t, &spec, 0, index, index%3)
			m := decoded(t, b)
			ev, ok := m["evaluation"]
			if noEvaluation[spec.Name] {
				assert.False(t, ok, "%s has no evaluation", spec.Name)
				continue
			}
			require.True(t, ok, "%s has an evaluation", spec.Name)
			evm, isObj := ev.(map[string]any)
			require.True(t, isObj, "%s evaluation is an object", spec.Name)
			assert.ElementsMatch(t, want, keys(evm), spec.Name)
			assert.Contains(t, []any{"white", "green", "amber", "red"}, evm["tlp"], spec.Name)
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDriftShapes checks that full drift renders the real API's variants:
// upper-case TLP, and one-element lists as bare strings.
func TestDriftShapes(t *testing.T) {
	var upperTLP, bareString []string
	for _, spec := range Catalogue() {
		_, _, plainJSON := renderItem(t, &spec, 0, 1, 0)
		_, _, driftJSON := renderItem(t, &spec, 1, 1, 0)
		plain, drifted := decoded(t, plainJSON), decoded(t, driftJSON)
		if ev, ok := drifted["evaluation"].(map[string]any); ok && ev["TLP"] != nil {
			assert.NotContains(t, ev, "tlp")
			upperTLP = append(upperTLP, spec.Name)
		}
		for k, v := range plain {
			list, isList := v.([]any)
			if s, isString := drifted[k].(string); isList && isString && len(list) == 1 && list[0] == s {
				bareString = append(bareString, spec.Name+"."+k)
			}
		}
	}
	assert.NotEmpty(t, upperTLP, "some collection renders TLP upper-case")
	assert.NotEmpty(t, bareString, "some list field renders as a bare string")
	t.Logf("TLP: %v; bare strings: %v", upperTLP, bareString)
}

func TestSearchCollectionsCarryCheckpoints(t *testing.T) {
	for name, field := range map[string]string{"compromised/breached": "updateTime", "compromised/reaper": "datetime"} {
		spec := specNamed(t, name)
		for rev := range 4 {
			it, m, _ := renderItem(t, spec, 0.5, 7, rev)
			assert.Equal(t, it.Updated.Format(TimeOffset), m[field], "%s.%s rev %d", name, field, rev)
			_, err := time.Parse(TimeOffset, m[field].(string))
			assert.NoError(t, err)
		}
	}
	_, m, _ := renderItem(t, specNamed(t, "compromised/breached"), 0, 7, 1)
	assert.Contains(t, m, "uploadTime")
}

func TestSuspiciousIPIsTheID(t *testing.T) {
	for _, spec := range Catalogue() {
		if !strings.HasPrefix(spec.Name, "suspicious_ip/") {
			continue
		}
		for index := range 10 {
			it, _, b := renderItem(t, &spec, 1, index, index%2)
			m := decoded(t, b)
			ipv4, ok := m["ipv4"].(map[string]any)
			require.True(t, ok, spec.Name)
			assert.Equal(t, it.ID, ipv4["ip"], spec.Name)
		}
	}
}

func TestVulnerabilityCVEList(t *testing.T) {
	spec := specNamed(t, "osi/vulnerability")
	for index := range 6 {
		it, _, b := renderItem(t, spec, 0, index, 0)
		m := decoded(t, b)
		if strings.HasPrefix(it.ID, "CVE-") {
			assert.Equal(t, []any{it.ID}, m["cveList"])
		} else {
			assert.Empty(t, m["cveList"], it.ID)
		}
	}
}

func specNamed(t *testing.T, name string) *Spec {
	t.Helper()
	for _, s := range Catalogue() {
		if s.Name == name {
			return &s
		}
	}
	t.Fatalf("no collection %s", name)
	return nil
}

// stableFields names, per collection, top-level fields holding names and
// indicators, which an update must not change.
var stableFields = map[string][]string{
	"apt/threat": {"indicatorsIds", "title", "cveList"}, "hi/threat": {"indicatorsIds", "title"},
	"apt/threat_actor": {"name", "country"}, "hi/threat_actor": {"name", "country"},
	"hi/open_threats": {"data", "link"}, "attacks/ddos": {"cnc", "target"},
	"attacks/deface": {"url", "targetIp"}, "attacks/phishing_group": {"domain", "ip"},
	"attacks/phishing_kit": {"hash", "emails", "downloadedFrom"},
	"compromised/access":   {"target", "cnc"}, "compromised/account_group": {"login", "service", "events"},
	"compromised/bank_card_group": {"cardInfo"}, "compromised/breached": {"email", "password"},
	"compromised/discord": {"author"}, "compromised/masked_card": {"cardInfo", "cnc"},
	"compromised/messenger": {"author", "messageTs"}, "compromised/mule": {"account", "organization"},
	"compromised/reaper": {"email", "link"}, "compromised/spd": {"value", "type"},
	"ioc/common": {"url", "domain", "ip", "hash"}, "ioc/primary": {"type", "hash"},
	"malware/cnc": {"cnc", "ipv4", "file"}, "malware/config": {"file", "domainList", "ipList"},
	"malware/malware": {"name", "fileIocList", "networkIocList"}, "malware/signature": {"sid", "name"},
	"malware/yara": {"name"}, "osi/git_repository": {"name", "contributors"},
	"osi/public_leak": {"hash", "linkList"}, "osi/vulnerability": {"affectedSoftware", "cveList"},
	"suspicious_ip/open_proxy": {"ipv4", "port"}, "suspicious_ip/scanner": {"ipv4"},
	"suspicious_ip/socks_proxy": {"ipv4"}, "suspicious_ip/tor_node": {"ipv4"}, "suspicious_ip/vpn": {"ipv4", "names"},
	"darkweb/forums": {"domain", "url", "nickname"},
}

func TestStableFieldsSurviveUpdates(t *testing.T) {
	for _, spec := range Catalogue() {
		fields, ok := stableFields[spec.Name]
		require.True(t, ok, "stableFields lists %s", spec.Name)
		for index := range 10 {
			_, _, b0 := renderItem(t, &spec, 0, index, 0)
			_, _, b3 := renderItem(t, &spec, 0, index, 3)
			first, later := decoded(t, b0), decoded(t, b3)
			for _, f := range fields {
				require.Contains(t, first, f, spec.Name)
				assert.Equal(t, first[f], later[f], "%s.%s index %d", spec.Name, f, index)
			}
		}
	}
}

// TestReferencesFindProfiles checks that actor and malware references
// name profiles the simulator serves, so mapped relationships resolve.
func TestReferencesFindProfiles(t *testing.T) {
	profiles := func(collection string, n int) map[string]bool {
		names := map[string]bool{}
		for index := range n {
			_, m, _ := renderItem(t, specNamed(t, collection), 0, index, 0)
			names[m["name"].(string)] = true
		}
		return names
	}
	actors, families := profiles("apt/threat_actor", actorPool), profiles("malware/malware", malwarePool)
	for index := range 20 {
		_, _, b := renderItem(t, specNamed(t, "apt/threat"), 0, index, 0)
		m := decoded(t, b)
		assert.True(t, actors[m["threatActor"].(map[string]any)["name"].(string)], "apt/threat %d actor", index)
		mal := m["malwareList"].([]any)[0].(map[string]any)["name"].(string)
		assert.True(t, families[mal], "apt/threat %d malware %s", index, mal)
	}
}

// TestDatesUseItemTimes checks the update field of a few collections
// follows it.Updated in the layout the API uses for it.
func TestDatesUseItemTimes(t *testing.T) {
	cases := map[string]struct {
		field  string
		render func(time.Time) string
	}{
		"apt/threat":           {"updatedAt", msk},
		"osi/public_leak":      {"updated", msk},
		"malware/config":       {"dateLastSeen", utc},
		"osi/vulnerability":    {"dateModified", msk},
		"suspicious_ip/vpn":    {"dateLastSeen", utc},
		"attacks/phishing_kit": {"dateLastSeen", utc},
	}
	for name, c := range cases {
		it, m, _ := renderItem(t, specNamed(t, name), 0.5, 3, 2)
		assert.Equal(t, c.render(it.Updated), m[c.field], "%s.%s", name, c.field)
		_, m0, _ := renderItem(t, specNamed(t, name), 0.5, 3, 0)
		assert.NotEqual(t, m0[c.field], m[c.field], fmt.Sprintf("%s.%s changes on update", name, c.field))
	}
	it, m, _ := renderItem(t, specNamed(t, "apt/threat"), 0, 3, 2)
	assert.Equal(t, it.FirstSeen.In(Moscow).Format(DateOnly), m["datePublished"])
	assert.True(t, strings.HasSuffix(m["createdAt"].(string), "+03:00"))
}
