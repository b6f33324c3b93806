package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// No Docker engine runs here: the Dockerfile is checked by reading it.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	df := string(raw)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	require.Len(t, froms, 2, "multi-stage: build, then runtime")
	goMod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(goMod))[1]
	assert.Equal(t, "golang:"+goVersion, froms[0][1], "the build image's Go matches go.mod")
	assert.Contains(t, froms[1][1], "static", "a static runtime image without a shell")
	assert.Contains(t, df, "CGO_ENABLED=0", "a static binary")
	assert.Contains(t, df, "./cmd/gib-taxii")
	assert.Regexp(t, `(?m)^USER\s+nonroot`, df, "not root")
	assert.Regexp(t, `(?m)^VOLUME\s+\["/data"\]`, df, "a volume for the store")
	hc := regexp.MustCompile(`(?ms)^HEALTHCHECK.*?CMD\s+(\[.*?\])`).FindStringSubmatch(df)
	require.NotNil(t, hc)
	assert.Contains(t, hc[1], "healthcheck")
	assert.Contains(t, hc[1], `"--config", "/etc/gib-taxii/config.yaml"`, "finds its own port and scheme, HTTPS included")
	// distroless nonroot is uid 65532; a volume at /data takes the owner
	// of the image's /data, which must exist, owned by that user, before
	// VOLUME.
	chown := regexp.MustCompile(`(?m)^COPY --from=build --chown=65532:65532 \S+ /data$`).FindStringIndex(df)
	require.NotNil(t, chown, "the store's directory belongs to the runtime user")
	assert.Less(t, chown[0], strings.Index(df, "VOLUME"), "created before the volume")
	assert.Contains(t, df, "-X main.buildVersion=${VERSION}", "ARG VERSION reaches the binary")
	assert.Contains(t, df, "-v $PWD/secrets:/run/secrets:ro", "the run example mounts the secret files it names")
	assert.Regexp(t, `(?m)^ENTRYPOINT\s+\["/usr/local/bin/gib-taxii"\]`, df)
	assert.True(t, strings.Contains(df, `CMD ["serve", "--config"`), "serves a mounted config")
	_, err = os.Stat("../../.dockerignore")
	assert.NoError(t, err)
}

func TestHealthcheckCommand(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	e, _, _ := testEnv("")
	assert.NoError(t, run(context.Background(), e, []string{"healthcheck", "--url", ok.URL}))
	assert.Error(t, run(context.Background(), e, []string{"healthcheck", "--url", bad.URL}))
}
