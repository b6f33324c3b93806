package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A curl command with a bracket in its URL (match[type]) fails as pasted
// unless globbing is off: curl reads [type] as a range of URLs.
func TestREADMECurlCommandsWorkAsPasted(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	curl := regexp.MustCompile("curl [^`\n]*")
	found := 0
	for _, cmd := range curl.FindAllString(string(raw), -1) {
		if strings.Contains(cmd, "[") {
			found++
			assert.Contains(t, cmd, " -g ", "needs -g: %s", cmd)
		}
	}
	assert.Positive(t, found, "the README shows a filtered curl command")
}

// The README says which collections the demo serves, as demoConfig makes
// them (they once differed from the layout it describes).
func TestREADMEDescribesTheDemoCollections(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	intro, _, _ := strings.Cut(string(raw), "## Running it")
	cfg, err := demoConfig("127.0.0.1:0", "x.db", "pw", "http://127.0.0.1:1/api/v2/", []string{"ioc/common"})
	require.NoError(t, err)
	colls := cfg.TAXII.APIRoots[0].Collections
	assert.Contains(t, intro, fmt.Sprintf("serves %s collections", map[int]string{2: "two"}[len(colls)]))
	for _, c := range colls {
		assert.Contains(t, intro, "`"+c.Alias+"`")
	}
	example, err := os.ReadFile("../../config.example.yaml")
	require.NoError(t, err)
	ex, err := parseConfig([]byte(strings.ReplaceAll(string(example), exampleHash, "$2a$10$"+strings.Repeat("a", 53))),
		noEnv)
	require.NoError(t, err)
	assert.Equal(t, ex.TAXII.APIRoots[0].Collections[0].Types, colls[0].Types, "the example's SIEM layout")
}
