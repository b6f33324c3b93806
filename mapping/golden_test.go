package mapping

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the .golden.json files of mapping/testdata/golden from the current mappings")

// goldenDir holds, per collection (with "/" as "_"), items <case>.json and
// the reviewed STIX they map to, <case>.golden.json.
const goldenDir = "testdata/golden"

// TestGolden maps every golden item with the shipped mappings.yaml and
// compares the objects with the reviewed output. Run with -update to
// regenerate after a deliberate change, then review the diff.
func TestGolden(t *testing.T) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	items, err := filepath.Glob(filepath.Join(goldenDir, "*", "*.json"))
	require.NoError(t, err)
	for _, itemPath := range items {
		if strings.HasSuffix(itemPath, ".golden.json") {
			continue
		}
		t.Run(filepath.Join(filepath.Base(filepath.Dir(itemPath)), filepath.Base(itemPath)), func(t *testing.T) {
			item, err := os.ReadFile(itemPath)
			require.NoError(t, err)
			got := renderGolden(t, e, collectionOfDir(e, filepath.Base(filepath.Dir(itemPath))), item)
			goldenPath := strings.TrimSuffix(itemPath, ".json") + ".golden.json"
			if *update {
				require.NoError(t, os.WriteFile(goldenPath, got, 0o644))
				return
			}
			want, err := os.ReadFile(goldenPath)
			require.NoError(t, err, "no golden file: run go test ./mapping -run TestGolden -update and review it")
			assert.Equal(t, string(want), string(got))
		})
	}
}

// collectionOfDir finds the collection of a golden directory, named after
// it with the "/" written "_" (suspicious_ip_tor_node).
func collectionOfDir(e *Engine, dir string) string {
	for _, c := range e.Collections() {
		if strings.Replace(c, "/", "_", 1) == dir {
			return c
		}
	}
	return dir
}

// renderGolden maps an item and renders its objects, sorted by id and
// indented, as a reviewable JSON array; a mapping error is rendered too.
func renderGolden(t *testing.T, e *Engine, collection string, item []byte) []byte {
	raws, err := e.Map(collection, item)
	if err != nil {
		return []byte("mapping error: " + err.Error() + "\n")
	}
	again, err := e.Map(collection, item)
	require.NoError(t, err)
	require.Equal(t, raws, again, "mapping the same item twice gives identical bytes")
	sort.Slice(raws, func(i, j int) bool { return objectID(raws[i]) < objectID(raws[j]) })
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, raw := range raws {
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, raw, "  ", "  "))
		b.WriteString("  ")
		b.Write(pretty.Bytes())
		if i < len(raws)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func objectID(raw json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.ID
}

// TestGoldenCoverage requires several golden items for every collection
// the mappings cover.
func TestGoldenCoverage(t *testing.T) {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	for _, c := range e.Collections() {
		items, _ := filepath.Glob(filepath.Join(goldenDir, strings.Replace(c, "/", "_", 1), "*.json"))
		n := 0
		for _, p := range items {
			if !strings.HasSuffix(p, ".golden.json") {
				n++
			}
		}
		assert.GreaterOrEqual(t, n, 3, "%s: typical, minimal and drifted golden items", c)
	}
}
