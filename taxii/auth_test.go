package taxii_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Items 5, 9, 71; trap T16: Basic auth with a case-insensitive scheme;
// wrong credentials are 401 with a Basic challenge.
func TestBasicAuth(t *testing.T) {
	f := newFixture(t)
	objects := api1 + collIndicators + "/objects/"
	basic := func(scheme, creds string) option {
		return header("Authorization", scheme+" "+base64.StdEncoding.EncodeToString([]byte(creds)))
	}
	for name, opt := range map[string]option{
		"Basic": basic("Basic", "alice:alice-pw"),
		"basic": basic("basic", "alice:alice-pw"),
		"BASIC": basic("BASIC", "alice:alice-pw"),
	} {
		assert.Equal(t, http.StatusOK, f.get(objects, opt).Code, name)
	}
	for name, opt := range map[string]option{
		"wrong password": as("alice", "bob-pw"),
		"unknown user":   as("mallory", "alice-pw"),
		"empty password": as("alice", ""),
		"bearer":         header("Authorization", "Bearer abc"),
		"not base64":     header("Authorization", "Basic !!!"),
		"no colon":       basic("Basic", "alice"),
		"anonymous":      anonymous(),
	} {
		rec := f.get(objects, opt)
		assertError(t, rec, http.StatusUnauthorized)
		assert.Equal(t, `Basic realm="gib-taxii"`, rec.Header().Get("WWW-Authenticate"), name)
	}
	// Wrong credentials are refused even where anonymous reading is allowed.
	assert.Equal(t, http.StatusOK, f.get(api1+collPublic+"/objects/", anonymous()).Code)
	assertError(t, f.get(api1+collPublic+"/objects/", as("alice", "nope")), http.StatusUnauthorized)
}

type collectionsResource struct {
	Collections []collectionResource `json:"collections"`
}

type collectionResource struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Alias      string   `json:"alias"`
	CanRead    *bool    `json:"can_read"`
	CanWrite   *bool    `json:"can_write"`
	MediaTypes []string `json:"media_types"`
}

// Items 41, 72, 75, 13: permissions drive can_read/can_write, 403 for a
// write-only caller, and 404 (indistinguishable from a missing collection)
// for one the caller may not see.
func TestPermissions(t *testing.T) {
	f := newFixture(t)
	wo := decode[collectionResource](t, f.get(api1+collWriteOnly+"/"))
	assert.False(t, *wo.CanRead)
	assert.True(t, *wo.CanWrite)
	for _, ep := range []string{"objects/", "manifest/", "objects/" + stixID("indicator", 1) + "/", "objects/" + stixID("indicator", 1) + "/versions/"} {
		assertError(t, f.get(api1+collWriteOnly+"/"+ep), http.StatusForbidden)
	}

	hidden := assertError(t, f.get(api1+collSecret+"/"), http.StatusNotFound)
	missing := assertError(t, f.get(api1+"3c2b1a09-8f7e-4d6c-b5a4-938271605f4e/"), http.StatusNotFound)
	assert.Equal(t, missing.Title, hidden.Title, "a hidden collection looks like a missing one")
	assertError(t, f.get(api1+collSecret+"/objects/"), http.StatusNotFound)

	bob := decode[collectionResource](t, f.get(api1+collSecret+"/", as("bob", "bob-pw")))
	assert.True(t, *bob.CanRead)
	assert.True(t, *bob.CanWrite)
	assert.Equal(t, http.StatusOK, f.get(api1+collSecret+"/objects/", as("bob", "bob-pw")).Code)
}

// The operator switch for anonymous read: anonymous callers see and read
// only the public collection, and are asked to authenticate for the rest.
func TestAnonymousRead(t *testing.T) {
	f := newFixture(t)
	list := decode[collectionsResource](t, f.get(api1, anonymous()))
	require.Len(t, list.Collections, 1)
	assert.Equal(t, collPublic, list.Collections[0].ID)
	assert.True(t, *list.Collections[0].CanRead)
	assert.False(t, *list.Collections[0].CanWrite)

	assert.Equal(t, http.StatusOK, f.get(api1+"public/objects/", anonymous()).Code)
	for _, c := range []string{collIndicators, collSecret, "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e"} {
		rec := f.get(api1+c+"/objects/", anonymous())
		assertError(t, rec, http.StatusUnauthorized)
		assert.NotEmpty(t, rec.Header().Get("WWW-Authenticate"))
	}
	// Users read public collections too, without a grant.
	pub := decode[collectionResource](t, f.get(api1+collPublic+"/"))
	assert.True(t, *pub.CanRead)
}
