package taxii

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEndpointOf(t *testing.T) {
	for route, want := range map[string]string{
		"/taxii2/":                                      "discovery",
		"/gib/":                                         "api_root",
		"/taxii2/gib/":                                  "api_root",
		"/gib/collections/":                             "collections",
		"/gib/collections/:collection/":                 "collection",
		"/gib/collections/:collection/manifest/":        "manifest",
		"/gib/collections/:collection/objects/":         "objects",
		"/gib/collections/:collection/objects/:object/": "object",
		"/gib/collections/:collection/objects/:object/versions/": "versions",
		"/gib/status/:status/": "status",
		"":                     "other",
		"/*":                   "other",
	} {
		assert.Equal(t, want, endpointOf(http.MethodGet, route), route)
	}
	assert.Equal(t, "add_objects", endpointOf(http.MethodPost, "/gib/collections/:collection/objects/"))
	assert.Equal(t, "delete_object", endpointOf(http.MethodDelete, "/gib/collections/:collection/objects/:object/"))
	assert.Equal(t, "other", endpointOf(http.MethodPost, ""), "a POST nowhere")
}
