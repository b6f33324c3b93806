package measure

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrittenCountsWrites(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before := Written()
	require.NoError(t, os.WriteFile(filepath.Join(t.TempDir(), "f"), make([]byte, 1<<20), 0o600))
	assert.GreaterOrEqual(t, Written()-before, int64(1<<20))
	assert.Greater(t, AnonymousMemory(), int64(1<<20))
}

func TestCountBytes(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(CountBytes(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "twelve bytes")
	}), &n))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	assert.Equal(t, int64(12), n.Load())
}
