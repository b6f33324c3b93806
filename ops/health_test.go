package ops

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadyz(t *testing.T) {
	cases := map[string]struct {
		check  Check
		status int
		body   string
	}{
		"store down": {func(context.Context) (map[string]CollectionHealth, error) { return nil, errors.New("store closed") },
			503, `{"status":"unavailable","store":"store closed"}`},
		"all ok": {func(context.Context) (map[string]CollectionHealth, error) {
			return map[string]CollectionHealth{"ioc/common": {Status: "ok"}}, nil
		}, 200, `{"status":"ok","store":"ok","collections":{"ioc/common":{"status":"ok","queued":0,"consecutive_errors":0}}}`},
		"one degraded": {func(context.Context) (map[string]CollectionHealth, error) {
			return map[string]CollectionHealth{"ioc/common": {Status: "ok"}, "malware/cnc": {Status: "degraded", Reason: "401"}}, nil
		}, 200, `{"status":"degraded","store":"ok","collections":{"ioc/common":{"status":"ok","queued":0,"consecutive_errors":0},"malware/cnc":{"status":"degraded","reason":"401","queued":0,"consecutive_errors":0}}}`},
	}
	for name, tc := range cases {
		rec := httptest.NewRecorder()
		Readyz(tc.check, nil)(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		assert.Equal(t, tc.status, rec.Code, name)
		assert.JSONEq(t, tc.body, rec.Body.String(), name)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	}
}
