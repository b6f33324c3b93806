package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Asked-for help is an answer (stdout, success), not an error; --version
// works; typos and stray arguments are refused with what was meant.
func TestCommandLine(t *testing.T) {
	for _, args := range [][]string{{"help", "serve"}, {"serve", "--help"}, {"export", "-h"}, {"--help"}} {
		e, out, errb := testEnv("")
		assert.NoError(t, run(context.Background(), e, args), "%v", args)
		assert.Contains(t, out.String(), "Usage: gib-taxii", "%v on stdout", args)
		assert.Empty(t, errb.String(), "%v", args)
	}
	e, out, _ := testEnv("")
	assert.NoError(t, run(context.Background(), e, []string{"--version"}))
	assert.Contains(t, out.String(), "gib-taxii ")

	e, _, _ = testEnv("")
	assert.ErrorContains(t, run(context.Background(), e, []string{"stauts"}), `did you mean "status"?`)
	e, _, _ = testEnv("")
	assert.ErrorContains(t, run(context.Background(), e, []string{"status", "--config", "c.yaml", "extra"}), `unexpected argument "extra"`)
}
