package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMappingsCheck(t *testing.T) {
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "check"}))
	assert.Contains(t, out.String(), "ok:")

	bad := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("version: 1\ncolour: x\ncollections:\n  ioc/common:\n    created: a..b\n"), 0o600))
	err := run(context.Background(), e, []string{"mappings", "check", bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad+":2: unknown key \"colour\"")
	assert.Contains(t, err.Error(), bad+":5: bad path", "every problem at once")
}

func TestMappingsRun(t *testing.T) {
	item := filepath.Join(t.TempDir(), "item.json")
	require.NoError(t, os.WriteFile(item, []byte(`{"id":"c-1","url":"https://bad.example/gate","dateFirstSeen":"2026-01-01T00:00:00Z"}`), 0o600))
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"mappings", "run", "--collection", "ioc/common", item}))
	var objs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.String()), &objs), out.String())
	var patterns []any
	for _, o := range objs {
		if o["type"] == "indicator" {
			patterns = append(patterns, o["pattern"])
		}
	}
	assert.Equal(t, []any{"[url:value = 'https://bad.example/gate']"}, patterns)

	err := run(context.Background(), e, []string{"mappings", "run", "--collection", "nope/nope", item})
	assert.ErrorContains(t, err, "no mapping rules")
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
