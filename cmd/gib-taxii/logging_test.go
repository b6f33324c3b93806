package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// JSON logs once printed durations as nanoseconds ("duration":1234567).
func TestLogDurationsAreReadable(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, logConfig{Level: "info", Format: "json"}).Info("x", "duration", 1234567*time.Nanosecond, "took", 3*time.Second+456789*time.Microsecond)
	assert.Contains(t, buf.String(), `"duration":"1.235ms"`)
	assert.Contains(t, buf.String(), `"took":"3.457s"`)
}
