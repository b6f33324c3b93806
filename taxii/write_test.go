package taxii_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statusResource is the TAXII status resource as a client reads it.
type statusResource struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []statusDetail `json:"successes"`
	FailureCount     int            `json:"failure_count"`
	Failures         []statusDetail `json:"failures"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []statusDetail `json:"pendings"`
}

type statusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message"`
}

// consistent checks what taxii2client checks of every status (trap T13):
// the counts add up, and each list is as long as its count.
func (st statusResource) consistent(t testing.TB) {
	t.Helper()
	assert.Equal(t, st.TotalCount, st.SuccessCount+st.FailureCount+st.PendingCount, "counts add up")
	assert.Len(t, st.Successes, st.SuccessCount)
	assert.Len(t, st.Failures, st.FailureCount)
	assert.Len(t, st.Pendings, st.PendingCount)
	_, err := uuid.Parse(st.ID)
	assert.NoError(t, err, "status id is a UUID (item 81)")
	for _, d := range append(append([]statusDetail{}, st.Successes...), st.Failures...) {
		assert.NotEmpty(t, d.Version, "every status-details entry has a version (item 82, erratum E5): %+v", d)
	}
}

func envelopeOf(objs ...string) string { return `{"objects":[` + strings.Join(objs, ",") + `]}` }

// post sends an envelope as bob (read and write on the secret collection).
func (f *fixture) post(coll, env string, opts ...option) *httptest.ResponseRecorder {
	f.t.Helper()
	opts = append([]option{as("bob", "bob-pw"), body(strings.NewReader(env))}, opts...)
	return f.do(http.MethodPost, api1+coll+"/objects/", opts...)
}

func (f *fixture) mustPost(coll, env string, opts ...option) statusResource {
	f.t.Helper()
	rec := f.post(coll, env, opts...)
	require.Equal(f.t, http.StatusAccepted, rec.Code, "item 78: %s", rec.Body)
	st := decode[statusResource](f.t, rec)
	st.consistent(f.t)
	return st
}

func (f *fixture) status(id string, opts ...option) *httptest.ResponseRecorder {
	return f.get("/api1/status/"+id+"/", append([]option{as("bob", "bob-pw")}, opts...)...)
}

func raw(t testing.TB, typ string, n int, modified time.Time) string {
	return string(stixObject(t, typ, n, modified).JSON)
}

// The round trip: an envelope of new, duplicate and invalid objects is
// answered 202 with a complete status (items 78, 81, 82); the status reads
// back the same (item 37); the objects read back through objects,
// manifest and versions, byte for byte as sent.
func TestAddObjectsRoundTrip(t *testing.T) {
	f := newFixture(t)
	stored := raw(t, "indicator", 1, t0)
	f.mustPost(collSecret, envelopeOf(stored))
	f.clock.Advance(time.Minute)

	// Sent with insignificant white space, unusual but valid JSON
	// (escapes, a number with an exponent), and a property order of its own.
	fresh := `{ "name" : "caf\u00e9 \"x\"", "type":"malware","spec_version":"2.1","id":"` + stixID("malware", 2) +
		`","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","is_family":false,"x_score":1.5e2}`
	newer := raw(t, "indicator", 1, t0.Add(time.Hour))
	sco := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + "2f6b9d3c-6a5e-5b1f-9d3a-7c8e9f0a1b2c" + `","value":"203.0.113.10"}`
	invalid := `{"type":"indicator","spec_version":"2.1","id":"` + stixID("indicator", 9) + `","created":"not a time","modified":"2025-01-01T00:00:00.000Z"}`
	st := f.mustPost(collSecret, envelopeOf(fresh, stored, newer, sco, invalid))

	assert.Equal(t, "complete", st.Status)
	assert.Equal(t, formatStamp(f.clock.Now()), st.RequestTimestamp)
	assert.Equal(t, 5, st.TotalCount)
	assert.Equal(t, 4, st.SuccessCount, "the duplicate succeeds (item 80)")
	assert.Equal(t, 1, st.FailureCount)
	assert.Equal(t, stixID("indicator", 9), st.Failures[0].ID)
	assert.Equal(t, "2025-01-01T00:00:00.000Z", st.Failures[0].Version)
	assert.Contains(t, st.Failures[0].Message, "created")
	messages := map[string]string{}
	versions := map[string]string{}
	for _, d := range st.Successes {
		messages[d.ID+"@"+d.Version] = d.Message
		versions[d.ID] = d.Version
	}
	assert.Equal(t, "already stored", messages[stixID("indicator", 1)+"@2025-06-01T00:00:00.000Z"])
	assert.Empty(t, messages[stixID("indicator", 1)+"@2025-06-01T01:00:00.000Z"])

	// The same status from the status endpoint (item 37), until it expires.
	again := decode[statusResource](t, f.status(st.ID))
	assert.Equal(t, st, again)

	// Read back: the objects endpoint serves the exact bytes sent, white
	// space aside; the manifest and versions list them.
	env := decode[envelope](t, f.get(api1+collSecret+"/objects/?match[id]="+stixID("malware", 2), as("bob", "bob-pw")))
	require.Len(t, env.Objects, 1)
	assert.Equal(t, compact(t, fresh), string(env.Objects[0]), "stored bytes are the sent bytes")
	man := decode[manifest](t, f.get(api1+collSecret+"/manifest/?match[version]=all", as("bob", "bob-pw")))
	var listed []string
	for _, o := range man.Objects {
		listed = append(listed, o.ID+"@"+o.Version)
	}
	assert.ElementsMatch(t, []string{
		stixID("indicator", 1) + "@2025-06-01T00:00:00.000Z", stixID("indicator", 1) + "@2025-06-01T01:00:00.000Z",
		stixID("malware", 2) + "@2025-01-01T00:00:00.000Z",
		"ipv4-addr--2f6b9d3c-6a5e-5b1f-9d3a-7c8e9f0a1b2c@" + versions["ipv4-addr--2f6b9d3c-6a5e-5b1f-9d3a-7c8e9f0a1b2c"],
	}, listed, "an unversioned SCO's status version is its date_added, as the manifest says")
	vs := decode[versionsBody](t, f.get(api1+collSecret+"/objects/"+stixID("indicator", 1)+"/versions/", as("bob", "bob-pw")))
	assert.Equal(t, []string{"2025-06-01T00:00:00.000Z", "2025-06-01T01:00:00.000Z"}, vs.Versions)
	assertError(t, f.get(api1+collSecret+"/objects/"+stixID("indicator", 9)+"/", as("bob", "bob-pw")), http.StatusNotFound)
}

type versionsBody struct {
	Versions []string `json:"versions"`
}

func compact(t testing.TB, s string) string {
	obj, err := storage.ParseObject([]byte(s))
	require.NoError(t, err)
	return string(obj.JSON)
}

func formatStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// Item 80: an exact duplicate of a stored version succeeds; the same id
// and version with other content fails, and the stored one is kept.
func TestAddObjectsDuplicatesAndConflicts(t *testing.T) {
	f := newFixture(t)
	obj := raw(t, "indicator", 1, t0)
	f.mustPost(collSecret, envelopeOf(obj))
	changed := strings.Replace(obj, `"name":"object 1"`, `"name":"changed"`, 1)
	st := f.mustPost(collSecret, envelopeOf(obj, obj, changed))
	assert.Equal(t, 2, st.SuccessCount)
	require.Equal(t, 1, st.FailureCount)
	assert.Contains(t, st.Failures[0].Message, "new modified")
	env := decode[envelope](t, f.get(api1+collSecret+"/objects/", as("bob", "bob-pw")))
	require.Len(t, env.Objects, 1)
	assert.Equal(t, obj, string(env.Objects[0]))
}

// Item 79: 415 for any other Content-Type; the TAXII type with other
// spacing, case or a charset is the TAXII type.
func TestAddObjectsContentType(t *testing.T) {
	f := newFixture(t)
	env := envelopeOf(raw(t, "indicator", 1, t0))
	for _, ct := range []string{"", "application/json", "text/plain", taxii.MediaTypeSTIX,
		"application/taxii+json", "application/taxii+json;version=2.0", "application/taxii+json;version=2.1;x=\"", "*/*"} {
		assertError(t, f.post(collSecret, env, header("Content-Type", ct)), http.StatusUnsupportedMediaType)
	}
	for _, ct := range []string{"application/taxii+json; version=2.1", "Application/TAXII+JSON;version=2.1",
		"application/taxii+json;version=2.1;charset=utf-8"} {
		assert.Equal(t, http.StatusAccepted, f.post(collSecret, env, header("Content-Type", ct)).Code, ct)
	}
	// Item 78 and trap: Accept naming another TAXII version is 406.
	assertError(t, f.post(collSecret, env, header("Accept", "application/taxii+json;version=2.0")), http.StatusNotAcceptable)
}

// Items 36, 79: a body over the API root's max_content_length is 413,
// whether it says its length or not; one of exactly that length is not.
func TestAddObjectsMaxContentLength(t *testing.T) {
	const limit = 4096
	f := newFixture(t, func(c *taxii.Config) { c.APIRoots[0].MaxContentLength = limit })
	root := decode[apiRootResource](t, f.get("/api1/"))
	require.NotNil(t, root.MaxContentLength)
	assert.Equal(t, limit, *root.MaxContentLength, "the advertised limit is the enforced one")

	obj := raw(t, "indicator", 1, t0)
	pad := func(n int) string { // an envelope of exactly n bytes
		env := envelopeOf(obj)
		return env[:len(env)-1] + `,"x":"` + strings.Repeat("a", n-len(env)-7) + `"}`
	}
	require.Len(t, pad(limit), limit)
	assert.Equal(t, http.StatusAccepted, f.post(collSecret, pad(limit)).Code, "exactly the limit is accepted")
	assertError(t, f.post(collSecret, pad(limit+1)), http.StatusRequestEntityTooLarge)
	// Without a Content-Length (chunked), the limit cuts the body as it is read.
	rec := f.do(http.MethodPost, api1+collSecret+"/objects/", as("bob", "bob-pw"),
		body(io.MultiReader(strings.NewReader(pad(limit+1)))))
	e := assertError(t, rec, http.StatusRequestEntityTooLarge)
	assert.Contains(t, e.Description, fmt.Sprint(limit))
	assert.Equal(t, 1, countObjects(t, f, collSecret), "nothing of a refused body is stored, only the accepted one")
}

func countObjects(t testing.TB, f *fixture, coll string) int {
	t.Helper()
	return len(decode[envelope](t, f.get(api1+coll+"/objects/?match[version]=all&limit=10", as("bob", "bob-pw"))).Objects)
}

// Item 79: 422 for a body that is not an envelope of JSON objects, or
// whose objects are all of another STIX version; nothing is stored.
func TestAddObjectsUnprocessable(t *testing.T) {
	f := newFixture(t)
	obj := raw(t, "indicator", 1, t0)
	// STIX 2.0 objects carry no spec_version (their bundle did).
	stix20 := `{"type":"indicator","id":"` + stixID("indicator", 5) + `","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","labels":["malicious-activity"],"pattern":"[ipv4-addr:value = '203.0.113.1']","valid_from":"2025-01-01T00:00:00Z"}`
	stix20Stated := `{"type":"indicator","spec_version":"2.0","id":"` + stixID("indicator", 6) + `","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z"}`
	for name, b := range map[string]string{
		"not JSON":              "objects: yes",
		"cut off":               `{"objects":[` + obj,
		"an array":              "[" + obj + "]",
		"no objects":            `{"more":false}`,
		"empty objects":         `{"objects":[]}`,
		"objects not a list":    `{"objects":{}}`,
		"a string in objects":   `{"objects":["indicator"]}`,
		"objects twice":         `{"objects":[` + obj + `],"objects":[]}`,
		"data after":            envelopeOf(obj) + `{}`,
		"a bundle":              `{"type":"bundle","id":"bundle--` + uuid.NewString() + `","objects":[` + obj + `]}`,
		"all STIX 2.0":          envelopeOf(stix20, stix20),
		"spec_version 2.0":      envelopeOf(stix20Stated, stix20),
		"empty body":            "",
		"null":                  "null",
		"an envelope of arrays": `{"objects":[[]]}`,
	} {
		rec := f.post(collSecret, b)
		assertError(t, rec, http.StatusUnprocessableEntity)
		assert.NotContains(t, rec.Body.String(), "panic", name)
	}
	assert.Equal(t, 0, countObjects(t, f, collSecret))
	// One 2.0 object among 2.1 ones is that object's failure, not the request's.
	st := f.mustPost(collSecret, envelopeOf(obj, stix20))
	assert.Equal(t, []int{1, 1}, []int{st.SuccessCount, st.FailureCount})
	assert.Contains(t, st.Failures[0].Message, "spec_version")
}

// The collection's types are honoured, and objects are checked by the
// configured validator, one by one.
func TestAddObjectsValidation(t *testing.T) {
	f := newFixture(t, func(c *taxii.Config) {
		c.APIRoots[0].Collections[3].Types = []string{"indicator", "sighting"}
		c.Accept = func(raw []byte, types []string) (storage.Object, error) {
			if strings.Contains(string(raw), "forbidden words") {
				return storage.Object{}, fmt.Errorf("the validator refuses it")
			}
			obj, err := storage.ParseObject(raw)
			if err == nil && !strings.Contains(strings.Join(types, ","), obj.Type) {
				err = fmt.Errorf("type %s is not taken here", obj.Type)
			}
			return obj, err
		}
	})
	bad := strings.Replace(raw(t, "indicator", 2, t0), "object 2", "forbidden words", 1)
	st := f.mustPost(collSecret, envelopeOf(raw(t, "indicator", 1, t0), raw(t, "malware", 1, t0), bad, `{"type":"indicator"}`))
	assert.Equal(t, 1, st.SuccessCount)
	require.Equal(t, 3, st.FailureCount)
	got := map[string]string{}
	for _, d := range st.Failures {
		got[d.ID] = d.Message
	}
	assert.Contains(t, got[stixID("malware", 1)], "not taken")
	assert.Equal(t, "the validator refuses it", got[stixID("indicator", 2)])
	assert.Contains(t, got, "", "an object without an id is reported with an empty one")
}

// can_write is true only where a write would be taken: a write grant on
// a collection that is not writable shows can_write false and is refused
// (item 73), and so is DELETE (item 87).
func TestWriteGrantOnReadOnlyCollection(t *testing.T) {
	f := newFixture(t, func(c *taxii.Config) {
		c.Users[1].Permissions[collIndicators] = taxii.Permission{Read: true, Write: true}
	})
	f.add(collIndicators, stixObject(t, "indicator", 1, t0))
	c := decode[collectionResource](t, f.get(api1+collIndicators+"/", as("bob", "bob-pw")))
	assert.True(t, *c.CanRead)
	assert.False(t, *c.CanWrite)
	assertError(t, f.post(collIndicators, envelopeOf(raw(t, "indicator", 2, t0))), http.StatusForbidden)
	assertError(t, f.do(http.MethodDelete, api1+collIndicators+"/objects/"+stixID("indicator", 1)+"/", as("bob", "bob-pw")), http.StatusForbidden)
	assert.Equal(t, 1, countObjects(t, f, collIndicators))
	// An unknown collection is 404 for POST and DELETE, not 405.
	assertError(t, f.post("3c2b1a09-8f7e-4d6c-b5a4-938271605f4e", envelopeOf(raw(t, "indicator", 2, t0))), http.StatusNotFound)
	assertError(t, f.do(http.MethodDelete, api1+"3c2b1a09-8f7e-4d6c-b5a4-938271605f4e/objects/"+stixID("indicator", 1)+"/", as("bob", "bob-pw")), http.StatusNotFound)
}

// Items 77, 83, 84: a status is kept for the retention period and then
// gone; it is shown to the user who posted, in its own API root, and to
// nobody else.
func TestStatusRetentionAndOwner(t *testing.T) {
	f := newFixture(t, func(c *taxii.Config) {
		c.StatusRetention = 25 * time.Hour
		c.Users[0].Permissions[collSecret] = taxii.Permission{Read: true, Write: true}
		c.APIRoots[1].Collections = []taxii.Collection{{Collection: storage.Collection{ID: "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", Title: "Other"}}}
	})
	st := f.mustPost(collSecret, envelopeOf(raw(t, "indicator", 1, t0)))
	assert.Equal(t, http.StatusOK, f.status(st.ID).Code)
	assertError(t, f.get("/api1/status/"+st.ID+"/"), http.StatusNotFound)                            // alice did not post it
	assertError(t, f.get("/other/root/status/"+st.ID+"/", as("bob", "bob-pw")), http.StatusNotFound) // another API root
	assertError(t, f.status(uuid.NewString()), http.StatusNotFound)                                  // unknown
	assertError(t, f.status("not-a-uuid"), http.StatusNotFound)                                      // malformed
	assertError(t, f.get("/api1/status/"+st.ID+"/", anonymous()), http.StatusNotFound)               // anonymous (api1 has a public collection)
	f.clock.Advance(24 * time.Hour)
	assert.Equal(t, http.StatusOK, f.status(st.ID).Code, "kept at least 24 hours (item 83)")
	f.open() // a restart keeps it
	assert.Equal(t, http.StatusOK, f.status(st.ID).Code)
	f.clock.Advance(time.Hour)
	assertError(t, f.status(st.ID), http.StatusNotFound) // expired (item 77)
}

// Items 85, 86, 88: DELETE with match[version] and match[spec_version];
// afterwards the versions are gone from object, versions, objects and
// manifest of that collection only.
func TestDeleteObject(t *testing.T) {
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		for n := 0; n < 3; n++ {
			f.add(collSecret, stixObject(t, "indicator", 1, h(n)))
			f.add(collIndicators, stixObject(t, "indicator", 1, h(n)))
		}
		f.add(collSecret, stixObject(t, "malware", 2, t0))
		return f
	}
	del := func(f *fixture, query string) *httptest.ResponseRecorder {
		return f.do(http.MethodDelete, api1+collSecret+"/objects/"+stixID("indicator", 1)+"/"+query, as("bob", "bob-pw"))
	}
	versionsLeft := func(f *fixture) []string {
		rec := f.get(api1+collSecret+"/objects/"+stixID("indicator", 1)+"/versions/", as("bob", "bob-pw"))
		if rec.Code == http.StatusNotFound {
			return nil
		}
		return decode[versionsBody](t, rec).Versions
	}
	for query, left := range map[string][]string{
		"":                                     nil,
		"?match[version]=all":                  nil,
		"?match[version]=first":                {"2025-06-01T01:00:00.000Z", "2025-06-01T02:00:00.000Z"},
		"?match[version]=last":                 {"2025-06-01T00:00:00.000Z", "2025-06-01T01:00:00.000Z"},
		"?match[version]=2025-06-01T01:00:00Z": {"2025-06-01T00:00:00.000Z", "2025-06-01T02:00:00.000Z"},
		"?match[spec_version]=2.1":             nil,
		"?match[version]=first,last&match[spec_version]=2.1": {"2025-06-01T01:00:00.000Z"},
	} {
		t.Run(query, func(t *testing.T) {
			f := setup(t)
			rec := del(f, query)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Empty(t, rec.Body.String(), "no payload (item 85)")
			assert.Equal(t, left, versionsLeft(f))
			objs := f.get(api1+collSecret+"/objects/?match[version]=all", as("bob", "bob-pw")).Body.String()
			man := f.get(api1+collSecret+"/manifest/?match[version]=all", as("bob", "bob-pw")).Body.String()
			assert.Equal(t, len(left), strings.Count(objs, stixID("indicator", 1)))
			assert.Equal(t, len(left), strings.Count(man, stixID("indicator", 1)))
			if left == nil {
				assertError(t, f.get(api1+collSecret+"/objects/"+stixID("indicator", 1)+"/", as("bob", "bob-pw")), http.StatusNotFound)
				assertError(t, del(f, ""), http.StatusNotFound) // already gone
			}
			// The same object in another collection stays (item 86 MAY).
			assert.Equal(t, 3, strings.Count(f.get(api1+collIndicators+"/objects/?match[version]=all", as("bob", "bob-pw")).Body.String(), stixID("indicator", 1)))
		})
	}
	f := setup(t)
	for query, status := range map[string]int{
		"?match[version]=yesterday":            http.StatusBadRequest, // item 88
		"?match[version]=all,first":            http.StatusBadRequest,
		"?match[spec_version]=two":             http.StatusBadRequest,
		"?match[version]=2025-06-01T05:00:00Z": http.StatusNotFound, // no such version
		"?match[spec_version]=2.0":             http.StatusNotFound,
	} {
		assertError(t, del(f, query), status)
	}
	assert.Len(t, versionsLeft(f), 3, "refused deletes removed nothing")
	// Paging parameters mean nothing to a delete, and are not checked.
	assert.Equal(t, http.StatusOK, del(f, "?next=forged&limit=0").Code)
}

// Pushed objects get a date_added after every earlier entry, so a client
// polling with added_after sees them like ingested ones.
func TestAddedObjectsFollowIngested(t *testing.T) {
	f := newFixture(t)
	f.add(collSecret, stixObject(t, "indicator", 1, t0))
	first := f.get(api1+collSecret+"/objects/", as("bob", "bob-pw"))
	last := dateHeader(first, "Last")
	require.NotEmpty(t, last)
	f.mustPost(collSecret, envelopeOf(raw(t, "indicator", 2, t0)))
	env := decode[envelope](t, f.get(api1+collSecret+"/objects/?added_after="+last, as("bob", "bob-pw")))
	require.Len(t, env.Objects, 1)
	assert.Contains(t, string(env.Objects[0]), stixID("indicator", 2))
}

// The status stays small whatever was posted: an envelope holds at most
// 100,000 objects (413 beyond), a details list longer than 20,000 is left
// out (its count stays), and empty lists are never sent (item 28).
func TestStatusStaysSmall(t *testing.T) {
	f := newFixture(t)
	many := func(n int) string { return `{"objects":[` + strings.TrimSuffix(strings.Repeat(`{},`, n), ",") + `]}` }
	e := assertError(t, f.post(collSecret, many(100_001)), http.StatusRequestEntityTooLarge)
	assert.Contains(t, e.Description, "100000 objects")

	rec := f.post(collSecret, many(20_001))
	require.Equal(t, http.StatusAccepted, rec.Code)
	st := decode[statusResource](t, rec)
	assert.Equal(t, []int{20_001, 0, 20_001, 0}, []int{st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount})
	assert.NotContains(t, rec.Body.String(), `"failures"`, "a list over the cap is left out")
	assert.Less(t, rec.Body.Len(), 1000)

	rec = f.post(collSecret, envelopeOf(raw(t, "indicator", 1, t0)))
	require.Equal(t, http.StatusAccepted, rec.Code)
	for _, list := range []string{`"failures"`, `"pendings"`} {
		assert.NotContains(t, rec.Body.String(), list, "no empty list")
	}
	assert.Contains(t, rec.Body.String(), `"successes":[{`)
}

// A caller who may write but not read learns nothing of what the
// collection holds from a duplicate: no "already stored", and an
// unversioned object's version is not its stored date_added.
func TestWriteOnlyStatusSaysNothingOfTheCollection(t *testing.T) {
	f := newFixture(t)
	obj := raw(t, "indicator", 1, t0)
	sco := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--2f6b9d3c-6a5e-5b1f-9d3a-7c8e9f0a1b2c","value":"203.0.113.10"}`
	f.add(collWriteOnly, stixObject(t, "indicator", 1, t0))
	first := f.mustPost(collWriteOnly, envelopeOf(sco), as("alice", "alice-pw"))
	f.clock.Advance(time.Hour)
	st := f.mustPost(collWriteOnly, envelopeOf(obj, sco), as("alice", "alice-pw"))
	require.Equal(t, 2, st.SuccessCount)
	for _, d := range st.Successes {
		assert.Empty(t, d.Message)
	}
	assert.Equal(t, st.RequestTimestamp, st.Successes[1].Version)
	assert.NotEqual(t, first.Successes[0].Version, st.Successes[1].Version)
}

// An object sent again with its keys in another order, or other string
// escapes, is the same object: a duplicate, not a conflict.
func TestResentObjectInAnotherSpellingIsADuplicate(t *testing.T) {
	f := newFixture(t)
	f.mustPost(collSecret, envelopeOf(`{"type":"malware","spec_version":"2.1","id":"`+stixID("malware", 1)+
		`","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","name":"café","is_family":true}`))
	st := f.mustPost(collSecret, envelopeOf(`{"is_family":true,"name":"caf\u00e9","modified":"2025-01-01T00:00:00.000Z",`+
		`"created":"2025-01-01T00:00:00.000Z","id":"`+stixID("malware", 1)+`","spec_version":"2.1","type":"malware"}`))
	assert.Equal(t, []int{1, 0}, []int{st.SuccessCount, st.FailureCount})
	assert.Equal(t, "already stored", st.Successes[0].Message)
}
