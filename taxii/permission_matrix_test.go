package taxii_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// The permission matrix: every TAXII endpoint against every identity, with
// the exact status, the TAXII content type, the Basic challenge on 401, and
// no leak of what a caller may not see through lists, next tokens or error
// texts (checklist items 9, 11, 13, 18, 69-75, 77-80, 85-87; README "Auth").
//
// Its server has one API root, "intel", whose collections are, in
// configuration order:
//
//	reader  read by user reader
//	writer  written (only) by user writer
//	rw      read and written by user rw
//	public  anonymous_read: anyone with valid or no credentials reads it
//	secret  only admin may see it
//
// admin may read and write every collection; outsider is a valid user with
// no grant at all.

const (
	pmRootPath     = "intel"
	pmRoot         = "/" + pmRootPath + "/"
	pmCollections  = pmRoot + "collections/"
	pmMissingID    = "6e1d0c9b-8a7f-4e6d-9c5b-4a3f2e1d0c9b" // configured nowhere
	pmMissingAlias = "no-such-feed"
	pmStatusID     = "2d086da7-4bdc-4f91-900e-d77486753710"
)

// pmColl is one configured collection with the objects stored in it.
type pmColl struct {
	name, id, alias, title, description string
	anonymous                           bool
	base                                int // objects are numbered base+1..base+3
}

var (
	pmReader = &pmColl{name: "reader", id: "0b7e4c52-1d3a-4f68-9a2b-3c4d5e6f7a01", alias: "reader-feed",
		title: "Alpha Reader Feed", description: "alpha feed for readers", base: 0x100}
	pmWriter = &pmColl{name: "writer", id: "0b7e4c52-1d3a-4f68-9a2b-3c4d5e6f7a02", alias: "writer-inbox",
		title: "Bravo Writer Inbox", description: "bravo inbox for submissions", base: 0x200}
	pmRW = &pmColl{name: "rw", id: "0b7e4c52-1d3a-4f68-9a2b-3c4d5e6f7a03", alias: "rw-workspace",
		title: "Charlie Workspace", description: "charlie shared workspace", base: 0x300}
	pmPublic = &pmColl{name: "public", id: "0b7e4c52-1d3a-4f68-9a2b-3c4d5e6f7a04", alias: "open-feed",
		title: "Delta Open Feed", description: "delta feed for everyone", anonymous: true, base: 0x400}
	pmSecret = &pmColl{name: "secret", id: "0b7e4c52-1d3a-4f68-9a2b-3c4d5e6f7a05", alias: "crown-jewels",
		title: "Echo Crown Jewels", description: "echo admins only", base: 0x500}
	pmAll = []*pmColl{pmReader, pmWriter, pmRW, pmPublic, pmSecret}
)

// indicator has three versions, malware and attack-pattern one each.
func (c *pmColl) indicator() string { return stixID("indicator", c.base+1) }

func (c *pmColl) objectIDs() []string {
	return []string{c.indicator(), stixID("malware", c.base+2), stixID("attack-pattern", c.base+3)}
}

// secrets are the strings of the collection that must never reach a caller
// who may not see it.
func (c *pmColl) secrets() []string {
	return append([]string{c.id, c.alias, c.title, c.description}, c.objectIDs()...)
}

var pmVersions = []string{"2025-06-01T00:00:00.000Z", "2025-06-01T01:00:00.000Z", "2025-06-01T02:00:00.000Z"}

var (
	pmRead      = taxii.Permission{Read: true}
	pmWrite     = taxii.Permission{Write: true}
	pmReadWrite = taxii.Permission{Read: true, Write: true}
)

// pmIdentity is who sends a request. access is written out by hand, not
// derived from the server's configuration: it is what the test expects each
// identity to be allowed, including read on anonymous_read collections for
// every valid caller.
type pmIdentity struct {
	name      string
	auth      option
	valid     bool // the credentials (or their absence) are accepted
	anonymous bool
	access    map[string]taxii.Permission // by collection id; absent: no access
}

var pmPasswords = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, u := range []string{"reader", "writer", "rw", "outsider", "admin"} {
		h, err := bcrypt.GenerateFromPassword([]byte(u+"-secret-pw"), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		out[u] = string(h)
	}
	return out
})

func pmAs(user string) option { return as(user, user+"-secret-pw") }

func pmIdentities() []*pmIdentity {
	public := map[string]taxii.Permission{pmPublic.id: pmRead}
	return []*pmIdentity{
		{name: "none", auth: anonymous(), valid: true, anonymous: true, access: public},
		{name: "wrong-password", auth: as("reader", "writer-secret-pw")},
		{name: "unknown-user", auth: as("mallory", "reader-secret-pw")},
		{name: "bearer-scheme", auth: header("Authorization", "Bearer cmVhZGVyOnJlYWRlci1zZWNyZXQtcHc=")},
		{name: "bad-base64", auth: header("Authorization", "Basic !!cmVhZGVy:not-base64")},
		{name: "outsider", auth: pmAs("outsider"), valid: true, access: public},
		{name: "reader", auth: pmAs("reader"), valid: true, access: map[string]taxii.Permission{
			pmReader.id: pmRead, pmPublic.id: pmRead}},
		{name: "writer", auth: pmAs("writer"), valid: true, access: map[string]taxii.Permission{
			pmWriter.id: pmWrite, pmPublic.id: pmRead}},
		{name: "rw", auth: pmAs("rw"), valid: true, access: map[string]taxii.Permission{
			pmRW.id: pmReadWrite, pmPublic.id: pmRead}},
		{name: "admin", auth: pmAs("admin"), valid: true, access: map[string]taxii.Permission{
			pmReader.id: pmReadWrite, pmWriter.id: pmReadWrite, pmRW.id: pmReadWrite, pmPublic.id: pmReadWrite, pmSecret.id: pmReadWrite}},
	}
}

func pmIdentityNamed(ids []*pmIdentity, name string) *pmIdentity {
	for _, id := range ids {
		if id.name == name {
			return id
		}
	}
	panic("no identity " + name)
}

// perm is what the identity may do with a target (nothing for a target
// that is not a configured collection).
func (id *pmIdentity) perm(tg *pmTarget) taxii.Permission {
	if tg == nil || tg.coll == nil {
		return taxii.Permission{}
	}
	return id.access[tg.coll.id]
}

// forbidden is every string of the collections the identity may neither
// read nor write.
func (id *pmIdentity) forbidden() []string {
	var out []string
	for _, c := range pmAll {
		if p := id.access[c.id]; !id.valid || (!p.Read && !p.Write) {
			out = append(out, c.secrets()...)
		}
	}
	return out
}

// pmTarget is the {collection} of a URL: a configured collection by id or
// alias, or one that does not exist.
type pmTarget struct {
	name    string
	segment string  // the {collection} path segment
	coll    *pmColl // nil: no such collection
	object  string  // an {object-id} for the object endpoints
}

func pmTargets() []*pmTarget {
	var out []*pmTarget
	for _, c := range pmAll {
		out = append(out, &pmTarget{name: c.name, segment: c.id, coll: c, object: c.indicator()})
	}
	// The forbidden collection by alias, and collections that do not
	// exist, asked for the secret collection's object so that their
	// answers can be compared with the secret collection's byte for byte.
	return append(out,
		&pmTarget{name: "secret-by-alias", segment: pmSecret.alias, coll: pmSecret, object: pmSecret.indicator()},
		&pmTarget{name: "missing", segment: pmMissingID, object: pmSecret.indicator()},
		&pmTarget{name: "missing-alias", segment: pmMissingAlias, object: pmSecret.indicator()},
	)
}

type pmKind int

const (
	pmServerLevel pmKind = iota // discovery, API root, collections, status
	pmCollectionGET
	pmReadGET // objects, object, versions, manifest
	pmPOST
	pmDELETE
)

// pmEndpoint is one TAXII endpoint and method.
type pmEndpoint struct {
	name    string
	method  string
	kind    pmKind
	unknown bool // the URL names an object that is stored nowhere
	path    func(tg *pmTarget) string
}

var pmUnknownObject = stixID("indicator", 0xdead)

func pmObjectOf(tg *pmTarget, unknown bool) string {
	if unknown {
		return pmUnknownObject
	}
	return tg.object
}

func pmEndpoints() []*pmEndpoint {
	coll := func(tg *pmTarget) string { return pmCollections + tg.segment + "/" }
	fixed := func(p string) func(*pmTarget) string { return func(*pmTarget) string { return p } }
	object := func(unknown bool) func(*pmTarget) string {
		return func(tg *pmTarget) string { return coll(tg) + "objects/" + pmObjectOf(tg, unknown) + "/" }
	}
	versions := func(unknown bool) func(*pmTarget) string {
		return func(tg *pmTarget) string { return object(unknown)(tg) + "versions/" }
	}
	return []*pmEndpoint{
		{name: "GET discovery", method: http.MethodGet, kind: pmServerLevel, path: fixed("/taxii2/")},
		{name: "GET api-root", method: http.MethodGet, kind: pmServerLevel, path: fixed(pmRoot)},
		{name: "GET collections", method: http.MethodGet, kind: pmServerLevel, path: fixed(pmCollections)},
		{name: "GET status", method: http.MethodGet, kind: pmServerLevel, path: fixed(pmRoot + "status/" + pmStatusID + "/")},
		{name: "GET collection", method: http.MethodGet, kind: pmCollectionGET, path: coll},
		{name: "GET objects", method: http.MethodGet, kind: pmReadGET, path: func(tg *pmTarget) string { return coll(tg) + "objects/" }},
		{name: "GET object", method: http.MethodGet, kind: pmReadGET, path: object(false)},
		{name: "GET unknown-object", method: http.MethodGet, kind: pmReadGET, unknown: true, path: object(true)},
		{name: "GET versions", method: http.MethodGet, kind: pmReadGET, path: versions(false)},
		{name: "GET unknown-object-versions", method: http.MethodGet, kind: pmReadGET, unknown: true, path: versions(true)},
		{name: "GET manifest", method: http.MethodGet, kind: pmReadGET, path: func(tg *pmTarget) string { return coll(tg) + "manifest/" }},
		{name: "POST objects", method: http.MethodPost, kind: pmPOST, path: func(tg *pmTarget) string { return coll(tg) + "objects/" }},
		{name: "DELETE object", method: http.MethodDelete, kind: pmDELETE, path: object(false)},
		{name: "DELETE unknown-object", method: http.MethodDelete, kind: pmDELETE, unknown: true, path: object(true)},
	}
}

// pmExpect returns the status the server must answer, exactly, and the
// statuses the checklist allows; the matrix checks that the first is one
// of the second.
func pmExpect(id *pmIdentity, ep *pmEndpoint, tg *pmTarget) (want int, spec []int) {
	if !id.valid {
		// Items 9, 71: wrong or malformed credentials are 401 with a
		// challenge, before anything else and whatever the URL.
		if ep.kind == pmServerLevel {
			return http.StatusUnauthorized, []int{http.StatusUnauthorized} // item 70
		}
		return http.StatusUnauthorized, []int{http.StatusUnauthorized, http.StatusNotFound}
	}
	if ep.kind == pmServerLevel {
		if ep.name == "GET status" {
			return http.StatusNotFound, []int{http.StatusNotFound} // item 77: no such status
		}
		return http.StatusOK, []int{http.StatusOK}
	}
	p := id.perm(tg)
	visible := p.Read || p.Write
	// A collection the caller may not see does not exist for them (items
	// 13, 75): users get 404 like for a missing one; anonymous callers are
	// asked to authenticate (items 9, 71), for missing ones too.
	hidden, hiddenSpec := http.StatusNotFound, []int{http.StatusNotFound}
	if id.anonymous {
		hidden, hiddenSpec = http.StatusUnauthorized, []int{http.StatusUnauthorized, http.StatusNotFound}
	}
	switch ep.kind {
	case pmCollectionGET:
		if !visible {
			return hidden, hiddenSpec
		}
		return http.StatusOK, []int{http.StatusOK}
	case pmReadGET:
		switch {
		case !visible:
			return hidden, hiddenSpec
		case !p.Read:
			// Item 72: can_read=false is 403 (or 404), for objects that
			// exist and objects that do not alike.
			return http.StatusForbidden, []int{http.StatusForbidden, http.StatusNotFound}
		case ep.unknown:
			return http.StatusNotFound, []int{http.StatusNotFound} // item 75
		}
		return http.StatusOK, []int{http.StatusOK}
	case pmPOST:
		// Checklist order for POST objects: authentication (items 9, 71:
		// 401/404), visibility (items 13, 75: 404), can_write (item 73:
		// 403/404), then the request itself (item 78: 202; 400/413/415/422
		// after the permission checks, item 79).
		switch {
		case !visible:
			return hidden, hiddenSpec
		case !p.Write:
			return http.StatusForbidden, []int{http.StatusForbidden, http.StatusNotFound}
		}
		return http.StatusAccepted, []int{http.StatusAccepted}
	case pmDELETE:
		// Item 87, mandatory: can_read/can_write false/false 404,
		// true/false 403, false/true 403, true/true normal processing
		// (item 85: 200; item 86: 404 for an object not in the collection).
		switch {
		case !visible:
			return hidden, hiddenSpec
		case !p.Read || !p.Write:
			return http.StatusForbidden, []int{http.StatusForbidden}
		case ep.unknown:
			return http.StatusNotFound, []int{http.StatusNotFound}
		}
		return http.StatusOK, []int{http.StatusOK}
	}
	panic("unknown endpoint kind")
}

// pmFixture is the matrix's server over a real bbolt store. Every
// collection is writable: what a caller may do is its grants alone.
type pmFixture struct {
	*fixture
	// postBody is, by collection segment, an envelope holding an exact
	// duplicate of one of its objects: a POST that succeeds changes
	// nothing the other cells read (item 80).
	postBody map[string]string
}

func newPMFixture(t *testing.T) *pmFixture {
	t.Helper()
	f := newFixture(t, func(c *taxii.Config) {
		var colls []taxii.Collection
		for _, pc := range pmAll {
			colls = append(colls, taxii.Collection{Collection: storage.Collection{
				ID: pc.id, Alias: pc.alias, Title: pc.title, Description: pc.description,
			}, AnonymousRead: pc.anonymous, Writable: true})
		}
		c.Title = "gib-taxii permission matrix"
		c.DefaultAPIRoot = pmRootPath
		c.APIRoots = []taxii.APIRoot{{Path: pmRootPath, Title: "Intel root", MaxContentLength: 1 << 20, Collections: colls}}
		all := map[string]taxii.Permission{}
		for _, pc := range pmAll {
			all[pc.id] = pmReadWrite
		}
		c.Users = []taxii.User{
			{Name: "reader", PasswordHash: pmPasswords()["reader"], Permissions: map[string]taxii.Permission{pmReader.id: pmRead}},
			{Name: "writer", PasswordHash: pmPasswords()["writer"], Permissions: map[string]taxii.Permission{pmWriter.id: pmWrite}},
			{Name: "rw", PasswordHash: pmPasswords()["rw"], Permissions: map[string]taxii.Permission{pmRW.id: pmReadWrite}},
			{Name: "outsider", PasswordHash: pmPasswords()["outsider"]},
			{Name: "admin", PasswordHash: pmPasswords()["admin"], Permissions: all},
		}
	})
	pf := &pmFixture{fixture: f, postBody: map[string]string{}}
	for _, c := range pmAll {
		pf.addIndicator(c)
		f.add(c.id, stixObject(t, "malware", c.base+2, t0))
		f.clock.Advance(time.Second)
		f.add(c.id, stixObject(t, "attack-pattern", c.base+3, t0))
		f.clock.Advance(time.Second)
		body := `{"objects":[` + string(stixObject(t, "malware", c.base+2, t0).JSON) + `]}`
		pf.postBody[c.id], pf.postBody[c.alias] = body, body
	}
	return pf
}

// addIndicator stores the three versions of a collection's indicator:
// at set-up, and again after a cell deleted them.
func (f *pmFixture) addIndicator(c *pmColl) {
	for _, v := range pmVersions {
		modified, err := time.Parse(time.RFC3339, v)
		require.NoError(f.t, err)
		f.add(c.id, stixObject(f.t, "indicator", c.base+1, modified))
		f.clock.Advance(time.Second)
	}
}

// send sends one request as an identity, with the TAXII Accept header, and
// for POST a valid envelope with the TAXII Content-Type.
func (f *pmFixture) send(id *pmIdentity, method, path string) *httptest.ResponseRecorder {
	f.t.Helper()
	r := &request{header: map[string]string{"Accept": taxii.MediaTypeTAXII}}
	id.auth(r)
	var body string
	if method == http.MethodPost {
		body = f.postBody[strings.Split(strings.TrimPrefix(path, pmCollections), "/")[0]]
		if body == "" { // a collection that does not exist
			body = f.postBody[pmSecret.id]
		}
		r.header["Content-Type"] = taxii.MediaTypeTAXII
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// pmAnswer is a response reduced to what a caller can observe, with the
// path segments the caller sent itself replaced by placeholders: the 404
// text echoes the {collection} of the URL, which tells the caller nothing
// it did not send.
type pmAnswer struct {
	Status          int
	Body            string
	ContentType     string
	WWWAuthenticate string
	Allow           string
	DateFirst       string
	DateLast        string
}

func pmObserve(rec *httptest.ResponseRecorder, sent ...string) pmAnswer {
	body := rec.Body.String()
	for _, s := range sent {
		if s != "" {
			body = strings.ReplaceAll(body, s, "{sent}")
		}
	}
	return pmAnswer{
		Status: rec.Code, Body: body, ContentType: rec.Header().Get("Content-Type"),
		WWWAuthenticate: rec.Header().Get("WWW-Authenticate"), Allow: rec.Header().Get("Allow"),
		DateFirst: dateHeader(rec, "First"), DateLast: dateHeader(rec, "Last"),
	}
}

// pmAssertNoLeak checks that neither body nor headers carry any forbidden
// string, once the segments the caller sent are set aside.
func pmAssertNoLeak(t *testing.T, cell string, rec *httptest.ResponseRecorder, forbidden []string, sent ...string) {
	t.Helper()
	var text strings.Builder
	text.WriteString(rec.Body.String())
	for k, vs := range rec.Header() {
		fmt.Fprintf(&text, "\n%s: %s", k, strings.Join(vs, ", "))
	}
	s := text.String()
	for _, x := range sent {
		if x != "" {
			s = strings.ReplaceAll(s, x, "{sent}")
		}
	}
	for _, x := range forbidden {
		assert.NotContains(t, s, x, "%s: leaks %q", cell, x)
	}
}

// pmAssertCommon checks what every response must have: the exact status,
// the TAXII content type, the challenge on 401 only, Allow on 405, and a
// TAXII error body without date headers on errors.
func pmAssertCommon(t *testing.T, cell string, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	require.Equal(t, status, rec.Code, "%s: status; body %s", cell, rec.Body)
	assert.Equal(t, taxii.MediaTypeTAXII, rec.Header().Get("Content-Type"), "%s: Content-Type (items 18, 69)", cell)
	if status == http.StatusUnauthorized {
		assert.Equal(t, `Basic realm="gib-taxii"`, rec.Header().Get("WWW-Authenticate"), "%s: challenge (item 9)", cell)
	} else {
		assert.Empty(t, rec.Header().Get("WWW-Authenticate"), "%s: challenge on a non-401", cell)
	}
	if status == http.StatusMethodNotAllowed {
		assert.Equal(t, http.MethodGet, rec.Header().Get("Allow"), cell)
	}
	if status >= 400 {
		e := decode[errorBody](t, rec)
		assert.Equal(t, strconv.Itoa(status), e.HTTPStatus, "%s: http_status (item 68)", cell)
		assert.NotEmpty(t, e.Title, cell)
		assert.Empty(t, dateHeader(rec, "First"), "%s: date header on an error", cell)
		assert.Empty(t, dateHeader(rec, "Last"), "%s: date header on an error", cell)
	}
}

// pmAssertOK checks the body of a 200: exactly what the identity may see.
func pmAssertOK(t *testing.T, cell string, rec *httptest.ResponseRecorder, id *pmIdentity, ep *pmEndpoint, tg *pmTarget) {
	t.Helper()
	switch ep.name {
	case "GET discovery":
		d := decode[discovery](t, rec)
		assert.Equal(t, "gib-taxii permission matrix", d.Title, cell)
		assert.Equal(t, []string{"https://taxii.example.com/intel/"}, d.APIRoots, cell)
		assert.Equal(t, "https://taxii.example.com/intel/", d.Default, cell)
	case "GET api-root":
		r := decode[apiRootResource](t, rec)
		assert.Equal(t, "Intel root", r.Title, cell)
		assert.Equal(t, []string{taxii.MediaTypeTAXII}, r.Versions, cell)
	case "GET collections":
		// Exactly the collections the identity may read or write, in
		// configuration order, with its own can_read/can_write (item 41).
		type entry struct {
			ID                string
			CanRead, CanWrite bool
			Title, Alias      string
			MediaTypes        int
		}
		var want, got []entry
		for _, c := range pmAll {
			if p := id.access[c.id]; p.Read || p.Write {
				want = append(want, entry{c.id, p.Read, p.Write, c.title, c.alias, 1})
			}
		}
		for _, c := range decode[collectionsResource](t, rec).Collections {
			require.NotNil(t, c.CanRead, cell)
			require.NotNil(t, c.CanWrite, cell)
			got = append(got, entry{c.ID, *c.CanRead, *c.CanWrite, c.Title, c.Alias, len(c.MediaTypes)})
		}
		assert.Equal(t, want, got, cell)
	case "GET collection":
		c := decode[collectionResource](t, rec)
		p := id.perm(tg)
		assert.Equal(t, tg.coll.id, c.ID, "%s: the resource names the id, even when asked by alias", cell)
		assert.Equal(t, tg.coll.title, c.Title, cell)
		require.NotNil(t, c.CanRead, cell)
		require.NotNil(t, c.CanWrite, cell)
		assert.Equal(t, p.Read, *c.CanRead, "%s: can_read", cell)
		assert.Equal(t, p.Write, *c.CanWrite, "%s: can_write", cell)
	case "GET objects":
		env := decode[envelope](t, rec)
		assert.ElementsMatch(t, tg.coll.objectIDs(), idsOf(t, env), cell)
		require.NotNil(t, env.More, cell)
		assert.False(t, *env.More, cell)
	case "GET object":
		got := heads(t, decode[envelope](t, rec))
		require.Len(t, got, 1, cell)
		assert.Equal(t, tg.coll.indicator(), got[0].ID, cell)
		assert.Equal(t, pmVersions[2], got[0].Modified, "%s: the latest version", cell)
	case "GET versions":
		assert.Equal(t, pmVersions, decode[versions](t, rec).Versions, cell)
	case "GET manifest":
		var ids []string
		for _, o := range decode[manifest](t, rec).Objects {
			ids = append(ids, o.ID)
		}
		assert.ElementsMatch(t, tg.coll.objectIDs(), ids, cell)
	default:
		t.Fatalf("%s: no body check for a 200", cell)
	}
}

type pmKey struct{ identity, endpoint, target string }

// TestPermissionMatrix sends every endpoint as every identity, to every
// kind of collection, and checks each answer exactly; it then compares
// answers across cells so that nothing tells a hidden collection from a
// missing one, a hidden object from a missing one, or one kind of bad
// credentials from another.
func TestPermissionMatrix(t *testing.T) {
	f := newPMFixture(t)
	identities, endpoints, targets := pmIdentities(), pmEndpoints(), pmTargets()
	answers := map[pmKey]pmAnswer{}
	cells := 0
	for _, id := range identities {
		for _, ep := range endpoints {
			tgs := targets
			if ep.kind == pmServerLevel {
				tgs = []*pmTarget{nil}
			}
			for _, tg := range tgs {
				key := pmKey{id.name, ep.name, ""}
				var path string
				var sent []string
				if tg != nil {
					key.target = tg.name
					path = ep.path(tg)
					sent = []string{pmObjectOf(tg, ep.unknown), tg.segment}
				} else {
					path = ep.path(nil)
				}
				cell := fmt.Sprintf("%s x %s", id.name, ep.name)
				if tg != nil {
					cell += " x " + tg.name
				}
				want, spec := pmExpect(id, ep, tg)
				require.Contains(t, spec, want, "%s: the table contradicts the checklist", cell)
				cells++
				t.Run(strings.ReplaceAll(cell, " x ", "/"), func(t *testing.T) {
					rec := f.send(id, ep.method, path)
					answers[key] = pmObserve(rec, sent...)
					pmAssertCommon(t, cell+" "+path, rec, want)
					switch {
					case want == http.StatusOK && ep.kind == pmDELETE:
						pmAssertDeleted(t, f, cell, rec, id, tg)
					case want == http.StatusOK:
						pmAssertOK(t, cell, rec, id, ep, tg)
					case want == http.StatusAccepted:
						st := decode[statusResource](t, rec)
						assert.Equal(t, []int{1, 1, 0, 0}, []int{st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount}, cell)
					}
					pmAssertNoLeak(t, cell, rec, id.forbidden(), sent...)
				})
			}
		}
	}
	require.Equal(t, len(identities)*(4+(len(endpoints)-4)*len(targets)), cells)
	require.Len(t, answers, cells)

	same := func(a, b pmKey, why string) {
		t.Helper()
		assert.Equal(t, answers[b], answers[a], "%s x %s: %s answers like %s (%s)", a.identity, a.endpoint, a.target, b.target, why)
	}
	for _, id := range identities {
		for _, ep := range endpoints {
			if ep.kind == pmServerLevel {
				continue
			}
			for _, tg := range targets {
				p := id.perm(tg)
				key := pmKey{id.name, ep.name, tg.name}
				// Item 13: a collection the caller may not see answers
				// exactly like one that does not exist, by id or alias.
				if tg.coll != nil && !p.Read && !p.Write {
					same(key, pmKey{id.name, ep.name, "missing"}, "item 13")
					same(key, pmKey{id.name, ep.name, "missing-alias"}, "item 13")
				}
				// Whoever may not read a collection learns nothing of which
				// objects it holds.
				if !p.Read && !ep.unknown && (ep.name == "GET object" || ep.name == "GET versions" || ep.name == "DELETE object") {
					unknown := map[string]string{"GET object": "GET unknown-object",
						"GET versions": "GET unknown-object-versions", "DELETE object": "DELETE unknown-object"}[ep.name]
					assert.Equal(t, answers[pmKey{id.name, unknown, tg.name}], answers[key],
						"%s x %s x %s: a stored object answers like an unknown one", id.name, ep.name, tg.name)
				}
			}
		}
	}
	// Bad credentials of every kind get one and the same answer, and so do
	// all 403s of reads and all 403s of writes: none of them depends on
	// what exists.
	type group struct {
		status int
		write  bool
	}
	byStatus := map[group]pmAnswer{}
	for key, a := range answers {
		if a.Status != http.StatusUnauthorized && a.Status != http.StatusForbidden {
			continue
		}
		g := group{a.Status, a.Status == http.StatusForbidden && !strings.HasPrefix(key.endpoint, "GET")}
		first, ok := byStatus[g]
		if !ok {
			byStatus[g] = a
			continue
		}
		assert.Equal(t, first, a, "%s x %s x %s: every %d is the same", key.identity, key.endpoint, key.target, a.Status)
	}
	assert.Len(t, byStatus, 3, "the matrix has 401 cells, and 403 cells of reads and of writes")
}

// pmAssertDeleted checks a successful DELETE (items 85, 86): an empty 200,
// and the object gone from the object, versions, objects and manifest
// endpoints of the collection; then it stores the object again for the
// cells that follow.
func pmAssertDeleted(t *testing.T, f *pmFixture, cell string, rec *httptest.ResponseRecorder, id *pmIdentity, tg *pmTarget) {
	t.Helper()
	assert.Empty(t, rec.Body.String(), "%s: no payload (item 85)", cell)
	base := pmCollections + tg.segment + "/"
	obj := base + "objects/" + tg.object + "/"
	for _, path := range []string{obj, obj + "versions/", obj + "?match[version]=all"} {
		pmAssertCommon(t, cell+": then GET "+path, f.send(id, http.MethodGet, path), http.StatusNotFound)
	}
	for _, path := range []string{base + "objects/?match[version]=all", base + "manifest/?match[version]=all"} {
		got := f.send(id, http.MethodGet, path)
		require.Equal(t, http.StatusOK, got.Code, cell)
		assert.NotContains(t, got.Body.String(), tg.object, "%s: then GET %s", cell, path)
	}
	f.addIndicator(tg.coll)
}

// pmPaged is one endpoint that pages, as a URL for a target.
type pmPaged struct {
	name string
	path func(tg *pmTarget, query string) string
}

func pmPagedEndpoints() []pmPaged {
	coll := func(tg *pmTarget) string { return pmCollections + tg.segment + "/" }
	return []pmPaged{
		{"objects", func(tg *pmTarget, q string) string { return coll(tg) + "objects/?limit=1" + q }},
		{"manifest", func(tg *pmTarget, q string) string { return coll(tg) + "manifest/?limit=1" + q }},
		{"object", func(tg *pmTarget, q string) string {
			return coll(tg) + "objects/" + tg.object + "/?match[version]=all&limit=1" + q
		}},
		{"versions", func(tg *pmTarget, q string) string {
			return coll(tg) + "objects/" + tg.object + "/versions/?limit=1" + q
		}},
	}
}

func pmNext(token string) string { return "&next=" + url.QueryEscape(token) }

// Item 11: a next token is re-evaluated against the collection and the
// caller. Presented to another collection it is refused like a forged one,
// and naming nothing of where it came from; presented where the caller may
// not look, it changes nothing: the same 401, 403 or 404 as without it.
func TestPermissionNextTokens(t *testing.T) {
	f := newPMFixture(t)
	ids := pmIdentities()
	who := func(name string) *pmIdentity { return pmIdentityNamed(ids, name) }
	target := map[string]*pmTarget{}
	for _, tg := range pmTargets() {
		target[tg.name] = tg
	}
	const forged = "AAAA"

	for _, ep := range pmPagedEndpoints() {
		t.Run(ep.name, func(t *testing.T) {
			obtain := func(id *pmIdentity, tg *pmTarget) string {
				t.Helper()
				rec := f.send(id, http.MethodGet, ep.path(tg, ""))
				require.Equal(t, http.StatusOK, rec.Code, "%s x %s x %s: %s", id.name, ep.name, tg.name, rec.Body)
				page := decode[struct {
					More bool   `json:"more"`
					Next string `json:"next"`
				}](t, rec)
				require.True(t, page.More, "%s x %s x %s: limit=1 leaves more", id.name, ep.name, tg.name)
				require.NotEmpty(t, page.Next, "%s x %s x %s: more comes with next", id.name, ep.name, tg.name)
				// The token works where it was issued: refusals below are
				// about where it is presented, not a broken token.
				rec = f.send(id, http.MethodGet, ep.path(tg, pmNext(page.Next)))
				require.Equal(t, http.StatusOK, rec.Code, "%s x %s x %s: own token: %s", id.name, ep.name, tg.name, rec.Body)
				return page.Next
			}
			readerToken := obtain(who("reader"), target["reader"])
			adminToken := obtain(who("admin"), target["secret"])
			rwToken := obtain(who("rw"), target["rw"])

			// Refused by a collection the caller may read: 400, the same
			// answer as a forged token, naming nothing of its origin.
			for _, c := range []struct {
				identity, target, token string
				origin                  *pmColl
			}{
				{"reader", "public", readerToken, pmReader},
				{"reader", "reader", adminToken, pmSecret},
				{"none", "public", adminToken, pmSecret},
				{"outsider", "public", adminToken, pmSecret},
				{"rw", "public", rwToken, pmRW},           // rw reads both collections
				{"admin", "reader", adminToken, pmSecret}, // admin reads both
				{"admin", "secret", readerToken, pmReader},
			} {
				id, tg := who(c.identity), target[c.target]
				cell := fmt.Sprintf("%s x %s x %s with a token of %s", id.name, ep.name, tg.name, c.origin.name)
				rec := f.send(id, http.MethodGet, ep.path(tg, pmNext(c.token)))
				pmAssertCommon(t, cell, rec, http.StatusBadRequest)
				assert.Equal(t, pmObserve(f.send(id, http.MethodGet, ep.path(tg, pmNext(forged)))), pmObserve(rec),
					"%s: answers like a forged token", cell)
				assert.NotContains(t, rec.Body.String(), c.token, cell)
				if p := id.access[c.origin.id]; !p.Read && !p.Write {
					pmAssertNoLeak(t, cell, rec, c.origin.secrets(), tg.segment, tg.object)
				}
				assert.NotContains(t, rec.Body.String(), c.origin.id, cell)
				assert.NotContains(t, rec.Body.String(), c.origin.title, cell)
			}

			// Presented where the caller may not look: the token changes
			// nothing, and the collection still answers like a missing one.
			for _, c := range []struct {
				identity, target, token string
				status                  int
			}{
				{"none", "reader", readerToken, http.StatusUnauthorized},
				{"outsider", "reader", readerToken, http.StatusNotFound},
				{"writer", "reader", readerToken, http.StatusNotFound},
				{"reader", "writer", readerToken, http.StatusNotFound},
				{"reader", "secret", readerToken, http.StatusNotFound},
				{"writer", "writer", readerToken, http.StatusForbidden}, // item 72 before the token
				{"writer", "writer", adminToken, http.StatusForbidden},
				// An admin's token for the secret collection opens it to nobody.
				{"none", "secret", adminToken, http.StatusUnauthorized},
				{"outsider", "secret", adminToken, http.StatusNotFound},
				{"reader", "secret", adminToken, http.StatusNotFound},
				{"writer", "secret", adminToken, http.StatusNotFound},
				{"rw", "secret", adminToken, http.StatusNotFound},
				{"reader", "secret-by-alias", adminToken, http.StatusNotFound},
			} {
				id, tg := who(c.identity), target[c.target]
				cell := fmt.Sprintf("%s x %s x %s with a token", id.name, ep.name, tg.name)
				rec := f.send(id, http.MethodGet, ep.path(tg, pmNext(c.token)))
				pmAssertCommon(t, cell, rec, c.status)
				got := pmObserve(rec, tg.segment)
				assert.Equal(t, pmObserve(f.send(id, http.MethodGet, ep.path(tg, "")), tg.segment), got, "%s: as without the token", cell)
				if c.status != http.StatusForbidden {
					missing := target["missing"]
					if tg.segment == pmSecret.alias {
						missing = target["missing-alias"]
					}
					missing = &pmTarget{name: missing.name, segment: missing.segment, object: tg.object}
					assert.Equal(t, pmObserve(f.send(id, http.MethodGet, ep.path(missing, pmNext(c.token))), missing.segment), got,
						"%s: as a missing collection", cell)
				}
				assert.NotContains(t, rec.Body.String(), c.token, cell)
				pmAssertNoLeak(t, cell, rec, id.forbidden(), tg.segment, tg.object)
			}
		})
	}
}

// Object ids of collections a caller may not read are unknown everywhere
// it may read: asked by URL or by match[id], they answer like ids that are
// stored nowhere.
func TestPermissionObjectIDsStayInTheirCollection(t *testing.T) {
	f := newPMFixture(t)
	for _, id := range pmIdentities() {
		if !id.valid {
			continue
		}
		var foreign []string
		for _, c := range pmAll {
			if !id.access[c.id].Read {
				foreign = append(foreign, c.objectIDs()...)
			}
		}
		for _, c := range pmAll {
			if !id.access[c.id].Read || len(foreign) == 0 {
				continue
			}
			base := pmCollections + c.id + "/"
			for _, suffix := range []string{"/", "/versions/"} {
				unknown := f.send(id, http.MethodGet, base+"objects/"+pmUnknownObject+suffix)
				pmAssertCommon(t, id.name+" x unknown object in "+c.name, unknown, http.StatusNotFound)
				for _, obj := range foreign {
					cell := fmt.Sprintf("%s x GET objects/%s%s x %s", id.name, obj, suffix, c.name)
					rec := f.send(id, http.MethodGet, base+"objects/"+obj+suffix)
					assert.Equal(t, pmObserve(unknown, pmUnknownObject), pmObserve(rec, obj), cell)
				}
			}
			for _, ep := range []string{"objects/", "manifest/"} {
				cell := fmt.Sprintf("%s x GET %s?match[id]=<foreign ids> x %s", id.name, ep, c.name)
				rec := f.send(id, http.MethodGet, base+ep+"?match[id]="+strings.Join(foreign, ","))
				pmAssertCommon(t, cell, rec, http.StatusOK)
				assert.JSONEq(t, `{"more":false}`, rec.Body.String(), cell)
			}
		}
	}
}

// The order of the checks: credentials, then whether the caller may see
// the collection, then whether it may read (or write), and only then the
// request itself. A malformed request to a collection the caller may not
// use gets the permission answer, the same as a well-formed one.
func TestPermissionOrder(t *testing.T) {
	f := newPMFixture(t)
	endpoints := map[string]*pmEndpoint{}
	for _, ep := range pmEndpoints() {
		endpoints[ep.name] = ep
	}
	for _, id := range pmIdentities() {
		for _, tg := range pmTargets() {
			if !id.valid && tg.coll != pmPublic && tg.coll != pmSecret {
				continue // bcrypt is slow under -race; the matrix has the rest
			}
			for _, name := range []string{"GET objects", "GET object", "GET versions", "GET manifest"} {
				ep := endpoints[name]
				for _, query := range []string{"limit=0", "next=forged", "added_after=yesterday"} {
					cell := fmt.Sprintf("%s x %s?%s x %s", id.name, ep.name, query, tg.name)
					want, _ := pmExpect(id, ep, tg)
					if want == http.StatusOK {
						want = http.StatusBadRequest // item 52, once access is settled
					}
					rec := f.send(id, http.MethodGet, ep.path(tg)+"?"+query)
					pmAssertCommon(t, cell, rec, want)
					if want != http.StatusBadRequest {
						assert.Equal(t, pmObserve(f.send(id, http.MethodGet, ep.path(tg)), tg.segment, tg.object),
							pmObserve(rec, tg.segment, tg.object), "%s: as without the bad filter", cell)
					}
					pmAssertNoLeak(t, cell, rec, id.forbidden(), tg.segment, tg.object)
				}
			}
		}
	}

	// POST objects with a body the server cannot take (wrong Content-Type,
	// not an envelope): the permission answer comes first: 401 for
	// anonymous callers (item 71), 404 for a collection the caller may not
	// see (items 13, 75), 403 without can_write (item 73), and only for a
	// writer 415 (items 19, 79).
	ids := pmIdentities()
	for _, c := range []struct {
		identity, target string
		status           int
	}{
		{"wrong-password", "rw", http.StatusUnauthorized},
		{"none", "reader", http.StatusUnauthorized},
		{"outsider", "secret", http.StatusNotFound},
		{"reader", "reader", http.StatusForbidden},
		{"writer", "writer", http.StatusUnsupportedMediaType},
		{"rw", "missing", http.StatusNotFound},
	} {
		id := pmIdentityNamed(ids, c.identity)
		r := &request{header: map[string]string{"Accept": taxii.MediaTypeTAXII, "Content-Type": "text/plain"}}
		id.auth(r)
		req := httptest.NewRequest(http.MethodPost, pmCollections+pmTargetNamed(c.target).segment+"/objects/", strings.NewReader("not an envelope"))
		for k, v := range r.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		cell := fmt.Sprintf("%s x POST objects (text/plain) x %s", c.identity, c.target)
		pmAssertCommon(t, cell, rec, c.status)
		pmAssertNoLeak(t, cell, rec, id.forbidden(), pmTargetNamed(c.target).segment)
	}
}

func pmTargetNamed(name string) *pmTarget {
	i := slices.IndexFunc(pmTargets(), func(tg *pmTarget) bool { return tg.name == name })
	return pmTargets()[i]
}
