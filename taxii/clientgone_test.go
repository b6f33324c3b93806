package taxii_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
)

// failingWriter accepts the header, then fails every body write.
type failingWriter struct {
	h   http.Header
	err error
}

func (w *failingWriter) Header() http.Header       { return w.h }
func (w *failingWriter) WriteHeader(int)           {}
func (w *failingWriter) Write([]byte) (int, error) { return 0, w.err }

// A client that hangs up while its page is written is logged at debug
// level; any other failure after the answer began is an error.
func TestClientGoneIsNotAnError(t *testing.T) {
	for _, c := range []struct {
		err   error
		level string
	}{
		{syscall.EPIPE, "level=DEBUG"},
		{syscall.ECONNRESET, "level=DEBUG"},
		{errors.New("disk on fire"), "level=ERROR"},
	} {
		logs := &testkit.SyncBuffer{}
		f := newFixture(t, func(cfg *taxii.Config) {
			cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		f.add(collIndicators, stixObject(t, "indicator", 1, t0))
		req := httptest.NewRequest(http.MethodGet, api1+collIndicators+"/objects/", nil)
		req.SetBasicAuth("alice", "alice-pw")
		f.srv.Handler().ServeHTTP(&failingWriter{h: http.Header{}, err: c.err}, req)
		var line string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "error after response started") {
				line = l
			}
		}
		assert.Contains(t, line, c.level, "%v: %s", c.err, logs)
	}
}
