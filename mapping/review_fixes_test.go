package mapping

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shipped(t *testing.T, now time.Time) *Engine {
	t.Helper()
	e, err := Load("../mappings.yaml", Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	return e
}

// Old items are mapped, not dropped: a shared relationship's modified is
// never before its fixed created.
func TestOldItemsAreMapped(t *testing.T) {
	e := shipped(t, time.Now())
	objs := objectsOf(t, e, "malware/malware", `{"id":"m1","name":"Emotet","updatedAt":"1999-05-01T00:00:00Z",
		"mitreMatrix":[{"id":"T1059","attackTactic":"Initial Access"}]}`)
	require.NotEmpty(t, byType(objs, "malware"))
	for _, ap := range byType(objs, "attack-pattern") {
		assert.Equal(t, []any{map[string]any{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}}, ap["kill_chain_phases"])
	}
}

// The output does not depend on when an item is mapped, even for dates in
// the future.
func TestNoClockInTheOutput(t *testing.T) {
	item := json.RawMessage(`{"id":"c-1","url":"https://a.example/","dateFirstSeen":"2099-01-01T00:00:00Z"}`)
	a, err := shipped(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Map("ioc/common", item)
	require.NoError(t, err)
	b, err := shipped(t, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)).Map("ioc/common", item)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

// A shared object (an actor, a family) named by a RED item is marked RED
// and is a different object from the AMBER one: no copy of it ever carries
// a weaker marking than its source.
func TestStricterItemsKeepTheirMarkingOnSharedObjects(t *testing.T) {
	e := shipped(t, time.Now())
	item := `{"id":"t1","title":"T","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-02T00:00:00Z",
		"threatActor":{"name":"SecretGroup","isAPT":true},"malwareList":[{"name":"SecretTool"}],"evaluation":{"tlp":"%s"}}`
	red := objectsOf(t, e, "apt/threat", strings.Replace(item, "%s", "red", 1))
	amber := objectsOf(t, e, "apt/threat", strings.Replace(item, "%s", "green", 1))
	for _, typ := range []string{"intrusion-set", "malware", "relationship"} {
		r, a := byType(red, typ), byType(amber, typ)
		require.NotEmpty(t, r, typ)
		require.NotEmpty(t, a, typ)
		if typ == "relationship" {
			r, a = pick(r, "uses"), pick(a, "uses")
		}
		assert.Equal(t, []any{tlp2["red"]}, r[0]["object_marking_refs"], typ)
		assert.Equal(t, []any{tlp2["amber"]}, a[0]["object_marking_refs"], "%s: a GREEN item's shared objects carry the default, never less", typ)
		assert.NotEqual(t, r[0]["id"], a[0]["id"], typ)
	}
}

func pick(rels []map[string]any, typ string) []map[string]any {
	for _, r := range rels {
		if r["relationship_type"] == typ {
			return []map[string]any{r}
		}
	}
	return nil
}

// Values of the wrong JSON type never make properties of the wrong type
// or empty patterns.
func TestWrongTypesInItems(t *testing.T) {
	e := shipped(t, time.Now())
	objs := objectsOf(t, e, "ioc/common", `{"id":"c-2","url":[{"a":1}, 12345],"domain":true,"hash":["deadbeefzzzzzzzzzzzzzzzzzzzzzzzz"],
		"malwareList":[{"name":42}],"dateFirstSeen":"2025-01-01T00:00:00Z"}`)
	var patterns []string
	for _, i := range byType(objs, "indicator") {
		patterns = append(patterns, i["pattern"].(string))
		assert.IsType(t, "", i["name"])
	}
	assert.ElementsMatch(t, []string{"[url:value = '12345']", "[domain-name:value = 'true']"}, patterns,
		"no empty literal from an object, no hash pattern from a non-hex value")
	for _, m := range byType(objs, "malware") {
		assert.Equal(t, "42", m["name"])
	}
}

func TestLoadErrorsFromReview(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown condition key": {strings.Replace(base, "each: url", "each: url\n        when: {path: $, equals: x, typo: z}", 1), `unknown key "typo" in condition`},
		"two tests":             {strings.Replace(base, "each: url", "each: url\n        when: {path: $, equals: x, matches: y}", 1), "exactly one of"},
		"duplicate key":         {strings.Replace(base, "each: url", "each: url\n        each: ip", 1), `"each" is given twice`},
		"refs to no rule": {strings.Replace(base, "pattern_type: stix", "pattern_type: stix\n      - {rule: r, type: report, properties: {name: x, object_refs: {refs: [nope]}}}", 1),
			`refs: no rule named "nope"`},
	}
	for name, tc := range cases {
		_, err := Parse("m.yaml", []byte(tc.yaml), Options{})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

// {each, when, value}: the condition filters each value.
func TestEachWithWhen(t *testing.T) {
	src := strings.Replace(base, "pattern_type: stix", `pattern_type: stix
          labels: {each: /tags, when: {path: $, matches: '^keep'}, value: "{$}"}`, 1)
	e, err := Parse("m.yaml", []byte(src), Options{})
	require.NoError(t, err)
	objs := objectsOf(t, e, "ioc/common", `{"id":"x","url":"https://a.example/","tags":["keep-1","drop","keep-2"],"dateFirstSeen":"2025-01-01"}`)
	assert.Equal(t, []any{"keep-1", "keep-2"}, byType(objs, "indicator")[0]["labels"])
}
