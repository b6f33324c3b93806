package taxii_test

import (
	"net/http"
	"testing"

	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type discovery struct {
	Title    string   `json:"title"`
	Default  string   `json:"default"`
	APIRoots []string `json:"api_roots"`
}

// Items 32, 33, 34; trap T9: discovery at /taxii2/ lists absolute API root
// URLs built from the external URL, with a trailing slash.
func TestDiscovery(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/taxii2/", "/taxii2"} { // item 23: with and without the slash
		rec := f.get(path)
		require.Equal(t, http.StatusOK, rec.Code, path)
		d := decode[discovery](t, rec)
		assert.Equal(t, "gib-taxii test", d.Title)
		assert.Equal(t, []string{"https://taxii.example.com/api1/", "https://taxii.example.com/other/root/"}, d.APIRoots)
		assert.Equal(t, "https://taxii.example.com/api1/", d.Default, "default is one of api_roots")
	}
}

type apiRootResource struct {
	Title            string   `json:"title"`
	Versions         []string `json:"versions"`
	MaxContentLength *int     `json:"max_content_length"`
}

// Item 35: the API root resource has title, versions with TAXII 2.1 and a
// positive max_content_length; item 34: several roots, each at its own URL.
func TestAPIRoot(t *testing.T) {
	f := newFixture(t)
	for path, title := range map[string]string{"/api1/": "API root one", "/other/root": "API root two"} {
		rec := f.get(path)
		require.Equal(t, http.StatusOK, rec.Code, path)
		r := decode[apiRootResource](t, rec)
		assert.Equal(t, title, r.Title)
		assert.Contains(t, r.Versions, "application/taxii+json;version=2.1")
		require.NotNil(t, r.MaxContentLength)
		assert.Positive(t, *r.MaxContentLength)
	}
	assertError(t, f.get("/nope/"), http.StatusNotFound) // item 75: unknown API root
}

// Items 37, 77: unknown status ids are 404 with a TAXII error.
func TestStatusUnknownIs404(t *testing.T) {
	f := newFixture(t)
	assertError(t, f.get("/api1/status/2d086da7-4bdc-4f91-900e-d77486753710/"), http.StatusNotFound)
}

// Item 70, 9: without anonymous collections, discovery asks for credentials.
func TestDiscoveryNeedsCredentialsUnlessAnonymousReadIsOn(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, http.StatusOK, f.get("/taxii2/", anonymous()).Code, "the public collection opens discovery")

	f = newFixture(t, func(c *taxii.Config) {
		for i := range c.APIRoots[0].Collections {
			c.APIRoots[0].Collections[i].AnonymousRead = false
		}
	})
	// Item 13: unknown URLs answer the same, revealing nothing.
	for _, path := range []string{"/taxii2/", "/api1/", "/api1/collections/", "/api1/status/2d086da7-4bdc-4f91-900e-d77486753710/", "/nope/collections/", "/api1/collections/x/"} {
		rec := f.get(path, anonymous())
		assertError(t, rec, http.StatusUnauthorized)
		assert.Equal(t, `Basic realm="gib-taxii"`, rec.Header().Get("WWW-Authenticate"), path)
	}
}
