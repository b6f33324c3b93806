package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type bundle struct {
	Type    string            `json:"type"`
	ID      string            `json:"id"`
	Objects []json.RawMessage `json:"objects"`
}

// export writes a valid STIX bundle of the collection, paging the store
// (page_size.max is 5 in the test config, so 12 objects take 3 pages).
func TestExport(t *testing.T) {
	cfgPath, _ := writeConfig(t)
	var objs []string
	for i := range 12 {
		objs = append(objs, indicator(i))
	}
	objs = append(objs, strings.Replace(indicator(3), `"modified":"2026-01-01T00:00:00.000Z"`, `"modified":"2026-02-01T00:00:00.000Z"`, 1))
	e, _, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "indicators", writeBundle(t, objs...)}))

	export := func(args ...string) bundle {
		e, out, _ := testEnv("")
		require.NoError(t, run(context.Background(), e, append([]string{"export", "--config", cfgPath, "--collection", "indicators"}, args...)))
		var b bundle
		require.NoError(t, json.Unmarshal([]byte(out.String()), &b), out.String())
		assert.Equal(t, "bundle", b.Type)
		assert.True(t, storage.IsID(b.ID))
		for _, o := range b.Objects {
			_, err := storage.ParseObject(o)
			require.NoError(t, err)
		}
		return b
	}
	assert.Len(t, export().Objects, 12, "latest versions")
	assert.Len(t, export("--all-versions").Objects, 13)
	assert.Empty(t, export("--type", "malware").Objects)
	assert.Len(t, export("--type", "malware,indicator").Objects, 12)
	assert.Empty(t, export("--added-after", "2999-01-01T00:00:00Z").Objects)

	out := filepath.Join(t.TempDir(), "b.json")
	require.NoError(t, run(context.Background(), e, []string{"export", "--config", cfgPath, "--collection", "indicators", "-o", out}))
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var b bundle
	require.NoError(t, json.Unmarshal(raw, &b))
	assert.Len(t, b.Objects, 12)

	assert.Error(t, run(context.Background(), e, []string{"export", "--config", cfgPath, "--collection", "indicators", "--added-after", "yesterday"}))
	assert.Len(t, export("--type", " malware , indicator ").Objects, 12, "type names are trimmed")
	assert.Error(t, run(context.Background(), e, []string{"export", "--config", cfgPath, "--collection", "indicators", "--type", "Not A Type"}))

	// An export failing half-way (here: cancelled) leaves an earlier
	// bundle alone and no temporary file.
	store, coll, err := openCollection(e, cfgPath, "indicators")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, writeExport(ctx, e, store, storage.Query{Collection: coll.ID}, out))
	require.NoError(t, store.Close())
	again, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, raw, again)
	left, _ := filepath.Glob(out + ".tmp-*")
	assert.Empty(t, left)
}
