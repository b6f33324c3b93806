package main

import (
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
