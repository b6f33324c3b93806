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
	aps := byType(objs, "attack-pattern")
	require.Len(t, aps, 1)
	// Name and phases come from ATT&CK, not from the item's tactic: every
	// copy of a technique is the same object whatever an item files it under.
	assert.Equal(t, "Command and Scripting Interpreter", aps[0]["name"])
	assert.Equal(t, "T1059", aps[0]["x_mitre_id"])
	assert.Equal(t, []any{map[string]any{"kill_chain_name": "mitre-attack", "phase_name": "execution"}}, aps[0]["kill_chain_phases"])
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

// A shared object (an actor, a family) is one object whatever the TLP of
// the items naming it: a name says nothing, and OpenCTI merges by name
// anyway. It carries the default marking; the item's TLP goes on what the
// item states (its report, its relationships).
func TestSharedObjectsAreOneObjectAtEveryTLP(t *testing.T) {
	e := shipped(t, time.Now())
	item := `{"id":"t1","title":"T","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-02T00:00:00Z",
		"threatActor":{"name":"SecretGroup","isAPT":true},"malwareList":[{"name":"SecretTool"}],"evaluation":{"tlp":"%s"}}`
	red := objectsOf(t, e, "apt/threat", strings.Replace(item, "%s", "red", 1))
	green := objectsOf(t, e, "apt/threat", strings.Replace(item, "%s", "green", 1))
	for _, typ := range []string{"intrusion-set", "malware"} {
		r, g := byType(red, typ), byType(green, typ)
		require.Len(t, r, 1, typ)
		require.Len(t, g, 1, typ)
		assert.Equal(t, r[0], g[0], "%s: the same object, byte for byte", typ)
		assert.Equal(t, []any{tlp2["amber"]}, r[0]["object_marking_refs"], typ)
	}
	for _, items := range []map[string]map[string]any{red, green} {
		for _, typ := range []string{"relationship", "report"} {
			require.NotEmpty(t, byType(items, typ))
		}
	}
	assert.Equal(t, []any{tlp2["red"]}, pick(byType(red, "relationship"), "uses")[0]["object_marking_refs"])
	assert.Equal(t, []any{tlp2["green"]}, pick(byType(green, "relationship"), "uses")[0]["object_marking_refs"])
	assert.Equal(t, []any{tlp2["red"]}, byType(red, "report")[0]["object_marking_refs"])
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
	item := json.RawMessage(`{"id":"c-2","url":[{"a":1}, 12345],"domain":true,"hash":["deadbeefzzzzzzzzzzzzzzzzzzzzzzzz"],
		"malwareList":[{"name":42}],"dateFirstSeen":"2025-01-01T00:00:00Z"}`)
	objs := objectsOf(t, e, "ioc/common", string(item))
	assert.Empty(t, byType(objs, "indicator"), "no indicator of an object, a number, a boolean or a non-hex hash")
	res, err := e.MapItem("ioc/common", item, false)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{DropInvalid: 4}, res.DropCounts(), "each counted: %v", res.Dropped)
	for _, m := range byType(objs, "malware") {
		assert.Equal(t, "42", m["name"])
	}
}

func TestLoadErrorsFromReview(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown condition key": {strings.Replace(base, "each: url", "each: url\n        when: {path: $, equals: x, typo: z}", 1), `unknown key "typo" in condition`},
		"two tests":             {strings.Replace(base, "each: url", "each: url\n        when: {path: $, equals: x, matches: y}", 1), "exactly one of"},
		"duplicate key":         {strings.Replace(base, "each: url", "each: url\n        each: ip", 1), `"each" is given twice`},
		"refs to no rule": {strings.Replace(base, "indicator_types: [malicious-activity]", "indicator_types: [malicious-activity]\n      - {rule: r, type: report, properties: {name: x, object_refs: {refs: [nope]}}}", 1),
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
	src := strings.Replace(base, "indicator_types: [malicious-activity]", `indicator_types: [malicious-activity]
          labels: {each: /tags, when: {path: $, matches: '^keep'}, value: "{$}"}`, 1)
	e, err := Parse("m.yaml", []byte(src), Options{})
	require.NoError(t, err)
	objs := objectsOf(t, e, "ioc/common", `{"id":"x","url":"https://a-sim.com/","tags":["keep-1","drop","keep-2"],"dateFirstSeen":"2025-01-01"}`)
	assert.Equal(t, []any{"keep-1", "keep-2", "ioc/common"}, byType(objs, "indicator")[0]["labels"])
}
