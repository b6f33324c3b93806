package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Renaming a collection whose id was generated once gave it a new id,
// orphaning its data and the id Sentinel was given. Now start-up refuses
// the rename and says how to carry the id over; with the id written in,
// the renamed collection has its data and its id.
func TestRenamedCollectionKeepsItsID(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	write := func(collection string) {
		require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
storage: {path: %q}
taxii:
  api_roots:
    - path: gib
      title: GIB
      collections:
        - %s
`, filepath.Join(dir, "s.db"), collection)), 0o600))
	}
	statusIDs := func() ([]string, error) {
		e, out, _ := testEnv("")
		err := run(context.Background(), e, []string{"status", "--config", cfgPath})
		return uuidV4.FindAllString(out.String(), -1), err
	}

	write("{alias: feed, title: Feed}")
	e, _, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"import", "--config", cfgPath, "--collection", "feed", writeBundle(t, indicator(1))}))
	ids, err := statusIDs()
	require.NoError(t, err)
	id := ids[0]

	write("{alias: feed2, title: Feed}")
	for _, cmd := range []string{"status", "export", "serve"} {
		e, _, _ := testEnv("")
		args := []string{cmd, "--config", cfgPath}
		if cmd == "export" {
			args = append(args, "--collection", "feed2", "-o", filepath.Join(dir, "out.json"))
		}
		err := run(context.Background(), e, args)
		require.Error(t, err, cmd)
		assert.Contains(t, err.Error(), `"gib/feed" (id `+id+`)`, cmd)
		assert.Contains(t, err.Error(), `write "id: `+id+`" under it`, cmd)
	}

	write("{id: " + id + ", alias: feed2, title: Feed}")
	ids, err = statusIDs()
	require.NoError(t, err)
	assert.Equal(t, id, ids[0], "the renamed collection keeps its id")
	out := filepath.Join(dir, "out.json")
	require.NoError(t, run(context.Background(), e, []string{"export", "--config", cfgPath, "--collection", "feed2", "-o", out}))
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "indicator--00000001", "and its data")

	write("{id: " + id + ", alias: feed2, title: Feed}\n        - {alias: feed, title: New}")
	_, err = statusIDs()
	assert.ErrorContains(t, err, "which another collection now has explicitly", "the old name must not get the carried id again")

	write("{alias: other, title: Other}")
	_, err = statusIDs()
	assert.Error(t, err, "a new collection beside an orphaned one needs an id of its own")
	write("{id: 2b0c1d9e-3f4a-4b5c-8d6e-7f8091a2b3c4, alias: other, title: Other}")
	_, err = statusIDs()
	assert.NoError(t, err)
}
