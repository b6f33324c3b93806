package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMappingsCheck(t *testing.T) {
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "check"}))
	assert.Contains(t, out.String(), "ok:")

	bad := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("version: 2\ncolour: x\ncollections:\n  ioc/common:\n    created: a..b\n"), 0o600))
	err := run(context.Background(), e, []string{"mappings", "check", bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad+":2: unknown key \"colour\"")
	assert.Contains(t, err.Error(), bad+":5: bad path", "every problem at once")
}

func TestMappingsRun(t *testing.T) {
	item := filepath.Join(t.TempDir(), "item.json")
	require.NoError(t, os.WriteFile(item, []byte(`{"id":"c-1","url":["hxxps://bad-sim[.]com/gate","https://bad.example/gate"],
		"ip":["10.1.2.3","8.8.8.8","999.1.1.1"],"malwareList":[{"name":"Shadar"}],"dateFirstSeen":"2026-01-01T00:00:00Z"}`), 0o600))
	e, out, errb := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "run", "--collection", "ioc/common", item}))
	var objs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.String()), &objs), out.String())
	var patterns []any
	for _, o := range objs {
		if o["type"] == "indicator" {
			patterns = append(patterns, o["pattern"])
		}
	}
	assert.Equal(t, []any{"[url:value = 'https://bad-sim.com/gate']"}, patterns, "refanged; reserved, benign and invalid dropped")
	assert.Contains(t, errb.String(), "dropped 4 value(s) (benign 1, invalid 1, reserved 2); restored 1 defanged value(s)")
	assert.Contains(t, errb.String(), `dropped "8.8.8.8": benign (rule ip, line `)

	err := run(context.Background(), e, []string{"mappings", "run", "--collection", "nope/nope", item})
	assert.ErrorContains(t, err, "no mapping rules")
}

// explain says, for every object and relationship, the rule or statement
// (with its line) and the item fields it came from.
func TestMappingsExplain(t *testing.T) {
	item := filepath.Join(t.TempDir(), "item.json")
	require.NoError(t, os.WriteFile(item, []byte(`{"id":"t-1","title":"T","createdAt":"2026-01-01T00:00:00Z",
		"threatActor":{"name":"Shadow Crew"},"malwareList":[{"id":"m0","name":"Other"}],
		"indicators":[{"id":"i1","params":{"ipv4":["45.9.148.7"]},"malwareList":[{"id":"m1","name":"Shadar"}]}]}`), 0o600))
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "explain", "--collection", "apt/threat", item}))
	text := out.String()
	assert.Regexp(t, `indicator--\S+ indicates malware--\S+\n\s+relationship--\S+  <- mappings.yaml \(embedded\):\d+, stated by element /indicators/0 \(indicators\)`, text)
	assert.Regexp(t, `indicator--\S+ "45.9.148.7"\n\s+indicator--\S+  <- rule ip \(mappings.yaml \(embedded\):\d+\)  from /indicators/0/params/ipv4/0 = 45.9.148.7`, text)
	assert.Regexp(t, `intrusion-set--\S+ "Shadow Crew"\n\s+intrusion-set--\S+  <- rule actor .* from /threatActor = \{name: Shadow Crew\}`, text)
	assert.Equal(t, 2, strings.Count(text, " indicates "), "the IOC indicates the report's actor and its own family, not the report's other family:\n%s", text)
}

func TestMappingsPattern(t *testing.T) {
	e, out, errb := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "pattern", "[file:hashes.'SHA-256' = 'aa'] WITHIN 5 SECONDS"}))
	assert.Contains(t, out.String(), "valid:")
	err := run(context.Background(), e, []string{"mappings", "pattern", "[file:name = 'x' AND process:pid = 1]"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "position")
	assert.Contains(t, errb.String(), "^")
}

// mappings run takes a whole API page as well as one item (it once said
// "the item has no id"): every item is mapped, shared objects once.
func TestMappingsRunOnAPage(t *testing.T) {
	dir := "../../mapping/testdata/golden/ioc_common/"
	var items []string
	want := map[string]bool{}
	for _, c := range []string{"minimal", "typical"} {
		item, err := os.ReadFile(dir + c + ".json")
		require.NoError(t, err)
		items = append(items, string(item))
		golden, err := os.ReadFile(dir + c + ".golden.json")
		require.NoError(t, err)
		var objs []struct{ ID string }
		require.NoError(t, json.Unmarshal(golden, &objs))
		for _, o := range objs {
			want[o.ID] = true
		}
	}
	page := filepath.Join(t.TempDir(), "page.json")
	require.NoError(t, os.WriteFile(page, []byte(`{"count":0,"seqUpdate":1,"items":[`+strings.Join(items, ",")+`]}`), 0o600))
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "run", "--collection", "ioc/common", page}))
	var objects []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(out.String()), &objects))
	got := map[string]bool{}
	for _, o := range objects {
		assert.False(t, got[o.ID], "%s once", o.ID)
		got[o.ID] = true
	}
	assert.Equal(t, want, got)
}
