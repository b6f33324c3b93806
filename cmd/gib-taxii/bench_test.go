package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gib-taxii bench in short mode, so that the benchmark cannot rot: every
// row of docs/PERFORMANCE.md is measured and written. It asserts no
// figure: the numbers of a loaded CI machine mean nothing.
func TestBenchShort(t *testing.T) {
	out := filepath.Join(t.TempDir(), "PERFORMANCE.md")
	e, _, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"bench", "--objects", "2000", "--ingest-items", "20",
		"--duration", "100ms", "--clients", "2", "--dir", t.TempDir(), "-o", out}))
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	doc := string(raw)
	for _, row := range []string{"ingest, 20 ioc/common items", "bytes written per ingested", "ingest, 10 apt/threat items",
		"store size", "full page-through", "first page, 1 client", "deep page", "2 concurrent clients", "match[type]=malware",
		"export of 2000 objects", "Go heap while serving"} {
		assert.Contains(t, doc, "| "+row, "row %q", row)
	}
	assert.Equal(t, 11, strings.Count(doc, "\n| ")-1, "a header and eleven rows")
	assert.Contains(t, doc, "Raw scan of the store")
	assert.NotContains(t, doc, "NaN")
	assert.NotContains(t, doc, "+Inf")
}
