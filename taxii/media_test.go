package taxii_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Items 14, 15, 16, 17, 20; traps T6, T7: lenient Accept parsing. Every one of
// these gets TAXII 2.1 JSON.
func TestAcceptIsLenient(t *testing.T) {
	f := newFixture(t)
	for _, accept := range []string{
		"",
		"*/*",
		"application/json",
		"application/*",
		"application/taxii+json",
		"application/taxii+json;version=2.1",
		"application/taxii+json; version=2.1",
		"application/taxii+json;version=2.1,application/stix+json;version=2.1",
		"application/stix+json;version=2.1",
		"application/json, text/plain, */*",
		"text/html, application/taxii+json;version=2.1;q=0.9",
		"application/taxii+json;version=2.0, */*;q=0.1",
		"text/html",
		"not a media type",
	} {
		rec := f.get(api1+collIndicators+"/objects/", header("Accept", accept))
		assert.Equal(t, http.StatusOK, rec.Code, "Accept: %q", accept)
		assert.Equal(t, "application/taxii+json;version=2.1", rec.Header().Get("Content-Type"), "Accept: %q", accept)
	}
}

// Item 76: 406 only for an explicit request for another TAXII version.
func TestAcceptOtherVersionIs406(t *testing.T) {
	f := newFixture(t)
	for _, accept := range []string{
		"application/taxii+json;version=2.0",
		"application/taxii+json;version=2.0, application/stix+json;version=2.0",
		"application/taxii+json;version=2.1;q=0, application/taxii+json;version=3.0",
	} {
		assertError(t, f.get("/taxii2/", header("Accept", accept)), http.StatusNotAcceptable)
	}
}

// Items 18, 69; trap T7: every response, errors included, has the exact
// TAXII content type (assertError and decode check it).
func TestContentTypeOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	for path, status := range map[string]int{
		"/taxii2/":                           http.StatusOK,
		"/api1/":                             http.StatusOK,
		api1:                                 http.StatusOK,
		api1 + collIndicators + "/":          http.StatusOK,
		api1 + collIndicators + "/manifest/": http.StatusOK,
		api1 + collIndicators + "/objects/":  http.StatusOK,
		api1 + collIndicators + "/objects/?limit=": http.StatusBadRequest,
		api1 + collWriteOnly + "/objects/":         http.StatusForbidden,
		api1 + collSecret + "/objects/":            http.StatusNotFound,
		"/no/such/path/":                           http.StatusNotFound,
	} {
		rec := f.get(path)
		assert.Equal(t, status, rec.Code, path)
		assert.Equal(t, "application/taxii+json;version=2.1", rec.Header().Get("Content-Type"), path)
	}
	assertError(t, f.get("/taxii2/", as("alice", "wrong")), http.StatusUnauthorized)
	assertError(t, f.get("/taxii2/", header("Accept", "application/taxii+json;version=2.0")), http.StatusNotAcceptable)
	assertError(t, f.do(http.MethodPost, api1+collIndicators+"/objects/"), http.StatusForbidden)
	// A method no endpoint takes: 405 with the methods that resource takes.
	for path, allow := range map[string]string{
		api1 + collIndicators + "/objects/":                                "OPTIONS, GET, POST",
		api1 + collIndicators + "/objects/" + stixID("indicator", 1) + "/": "OPTIONS, GET, DELETE",
		api1 + collIndicators + "/manifest/":                               "OPTIONS, GET",
		"/taxii2/":                                                         "OPTIONS, GET",
	} {
		rec := f.do(http.MethodPut, path)
		assertError(t, rec, http.StatusMethodNotAllowed)
		assert.ElementsMatch(t, strings.Split(allow, ", "), strings.Split(rec.Header().Get("Allow"), ", "), path)
	}
}

// Trap T16: a Content-Type on a GET (MISP sends one) is ignored.
func TestContentTypeOnGetIsIgnored(t *testing.T) {
	f := newFixture(t)
	for _, ct := range []string{"application/taxii+json;version=2.1", "text/plain", "garbage"} {
		assert.Equal(t, http.StatusOK, f.get(api1+collIndicators+"/objects/", header("Content-Type", ct)).Code, ct)
	}
}

// Item 22: no User-Agent is fine.
func TestNoUserAgent(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, http.StatusOK, f.get("/taxii2/", header("User-Agent", "")).Code)
}
