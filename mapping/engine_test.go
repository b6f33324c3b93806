package mapping

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }

func loadTest(t *testing.T, path string) *Engine {
	t.Helper()
	e, err := Load(path, Options{Now: testNow})
	require.NoError(t, err)
	return e
}

// objectsOf maps an item and parses every object as the store will.
func objectsOf(t *testing.T, e *Engine, collection, item string) map[string]map[string]any {
	t.Helper()
	raws, err := e.Map(collection, json.RawMessage(item))
	require.NoError(t, err)
	out := map[string]map[string]any{}
	for _, raw := range raws {
		_, err := storage.ParseObject(raw)
		require.NoError(t, err, string(raw))
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		out[m["id"].(string)] = m
	}
	return out
}

func byType(objs map[string]map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if o["type"] == typ {
			out = append(out, o)
		}
	}
	return out
}

func TestEngineSmoke(t *testing.T) {
	e := loadTest(t, "testdata/engine_test.yaml")
	objs := objectsOf(t, e, "ioc/common", `{"id":"ioc-1","url":["https://a-sim.com/x'y"],"ip":"45.12.1.1:8080",
		"hash":["0cc175b9c0f1b6a831c399e269772661"],"malwareList":[{"name":"ShadowPad"}],
		"dateFirstSeen":"2025-01-01T03:00:00+03:00","dateLastSeen":"2025-01-05T00:00:00+00:00"}`)
	inds := byType(objs, "indicator")
	require.Len(t, inds, 3)
	var patterns []string
	for _, i := range inds {
		patterns = append(patterns, i["pattern"].(string))
		assert.Equal(t, "2025-01-01T00:00:00.000Z", i["created"])
		assert.Equal(t, "2025-01-05T00:00:00.000Z", i["modified"])
		assert.Equal(t, "2025-01-31T00:00:00.000Z", i["valid_until"], "30 days after valid_from")
		assert.Equal(t, []any{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}, i["object_marking_refs"])
		assert.Equal(t, []any{"ShadowPad", "ioc/common"}, i["labels"], "labels name the family and the source")
		assert.Equal(t, "Indicates ShadowPad (malware).", i["description"])
	}
	assert.ElementsMatch(t, []string{`[url:value = 'https://a-sim.com/x\'y']`, `[ipv4-addr:value = '45.12.1.1']`,
		`[file:hashes.'MD5' = '0cc175b9c0f1b6a831c399e269772661']`}, patterns)
	rels := map[string]int{}
	for _, r := range byType(objs, "relationship") {
		rels[r["relationship_type"].(string)]++
	}
	assert.Equal(t, map[string]int{"indicates": 3, "based-on": 3}, rels, "each indicator indicates the family, based on its observable")
	assert.Len(t, byType(objs, "malware"), 1)
	ip := byType(objs, "ipv4-addr")
	require.Len(t, ip, 1, "the indicator's observable and the observable rule's are one object")
	assert.Equal(t, "45.12.1.1", ip[0]["value"], "the port is not part of the address")
	assert.Equal(t, "ipv4-addr--"+uuidOf(`{"value":"45.12.1.1"}`), ip[0]["id"])
	assert.Len(t, byType(objs, "url"), 1)
	assert.Len(t, byType(objs, "file"), 1)
}

// An object produced by two rules (the actor's own country is also a
// target) is emitted once and counts for both rules' relationships.
func TestObjectFromTwoRules(t *testing.T) {
	e := loadTest(t, "testdata/two_rules.yaml")
	objs := objectsOf(t, e, "x/profiles", `{"id":"i","d":"2025-01-01","c1":["RU"],"c2":["RU","US"],"n":"Bob"}`)
	assert.Len(t, byType(objs, "location"), 2)
	rels := map[string]int{}
	for _, r := range byType(objs, "relationship") {
		rels[r["relationship_type"].(string)]++
	}
	assert.Equal(t, map[string]int{"located-at": 1, "targets": 2}, rels)
}

// uuidOf is the STIX SCO id UUID of canonical id-contributing JSON,
// computed as the spec words it.
func uuidOf(canonical string) string {
	return uuid.NewSHA1(uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7"), []byte(canonical)).String()
}

// evalLocated gives the values eval gives, whatever the transforms.
func TestLocatedValuesAreTheValues(t *testing.T) {
	item := map[string]any{"a": []any{map[string]any{"b": "x"}, map[string]any{"b": " y "}}}
	for _, src := range []string{"a.b", "a.b | trim", "a.b | first", "a.b | join(;)", "a.b | trim | upper | first"} {
		e, err := parseExpr(src, nil)
		require.NoError(t, err)
		var located []any
		for _, l := range e.evalLocated(item) {
			located = append(located, l.v)
		}
		assert.Equal(t, e.eval(item, item), located, src)
	}
}
