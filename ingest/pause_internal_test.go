package ingest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The pause after failures doubles with each failure counted in memory
// (not in the store, which may be what fails), up to the cap.
func TestPauseBacksOffExponentially(t *testing.T) {
	r := NewRunner(RunnerConfig{ErrorPause: 5 * time.Minute})
	l := r.newLoop(CollectionConfig{Name: "ioc/common", PollInterval: 64 * time.Second}.withDefaults())
	l.st = &State{}
	storeErr := errors.Join(ErrStore, errors.New("write: no space left on device"))
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		l.st.ConsecutiveErrors = n
		got = append(got, l.pause(storeErr))
	}
	assert.Equal(t, []time.Duration{4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second,
		64 * time.Second, 128 * time.Second}, got)
	l.st.ConsecutiveErrors = 30
	assert.Equal(t, 5*time.Minute, l.pause(storeErr), "capped")
}

// The rate behind the ETA moves by a fifth of a page's deviation: one page
// ten times faster than the others does not make the ETA a tenth.
func TestRateIsSmoothed(t *testing.T) {
	l := NewRunner(RunnerConfig{}).newLoop(CollectionConfig{Name: "ioc/common"})
	for range 5 {
		l.smoothRate(100, time.Second)
	}
	assert.InDelta(t, 100, l.rate, 0.01)
	assert.InDelta(t, 280, l.smoothRate(100, 100*time.Millisecond), 0.01)
}
