package ingest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Integers the API sends as floats are taken only when their exact value
// is whole: a float64 round trip would move a cursor past 2^53 or read
// 1e-400 as 0.
func TestFlexIntTakesOnlyExactWholeNumbers(t *testing.T) {
	for raw, want := range map[string]int64{
		`1682360409780000`: 1682360409780000, `"17"`: 17, `1.7e15`: 1700000000000000, `123.0`: 123,
		`9007199254740993.0`: 9007199254740993, `-5e2`: -500,
	} {
		var f flexInt
		assert.NoError(t, json.Unmarshal([]byte(raw), &f), raw)
		assert.Equal(t, want, f.Value, raw)
	}
	for _, raw := range []string{`1e-400`, `1682360409780000.1`, `1e999999999`, `9.3e18`, `"x"`, `0.5`} {
		var f flexInt
		assert.Error(t, json.Unmarshal([]byte(raw), &f), raw)
	}
}
