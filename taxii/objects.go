package taxii

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/labstack/echo/v4"
)

// Date headers of the manifest, objects, object and versions endpoints (§3.2).
const (
	headerDateAddedFirst = "X-TAXII-Date-Added-First"
	headerDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// handleObjects serves GET .../collections/{id}/objects/ (§5.4).
func (s *Server) handleObjects(c echo.Context) error {
	env := s.newEnvelope()
	defer s.releaseEnvelope(env)
	coll, f, page, err := s.read(c, endpointObjects, func(f *filters) { f.Emit = env.add })
	if err != nil {
		return err
	}
	return s.writeEnvelope(c, coll, f, page, env)
}

// handleObject serves GET .../objects/{object-id}/ (§5.6): an envelope, as
// several versions may match.
func (s *Server) handleObject(c echo.Context) error {
	env := s.newEnvelope()
	defer s.releaseEnvelope(env)
	coll, f, page, err := s.read(c, endpointObject, func(f *filters) {
		f.IDs = []string{c.Param("object")}
		f.Emit = env.add
	})
	if err != nil {
		return err
	}
	return s.writeEnvelope(c, coll, f, page, env)
}

// handleManifest serves GET .../collections/{id}/manifest/ (§5.3).
func (s *Server) handleManifest(c echo.Context) error {
	coll, f, page, err := s.read(c, endpointManifest, func(f *filters) { f.WithoutObjects = true })
	if err != nil {
		return err
	}
	res := manifestResource{More: page.More, Next: s.next(coll, page)}
	for _, r := range page.Records {
		res.Objects = append(res.Objects, manifestRecord{
			ID: r.ID, DateAdded: formatTimestamp(r.DateAdded), Version: versionOf(r), MediaType: MediaTypeSTIX,
		})
	}
	return s.writePage(c, f, page, res)
}

// handleVersions serves GET .../objects/{object-id}/versions/ (§5.8).
func (s *Server) handleVersions(c echo.Context) error {
	coll, f, page, err := s.read(c, endpointVersions, func(f *filters) {
		f.IDs = []string{c.Param("object")}
		f.Versions = storage.Versions{All: true}
		f.WithoutObjects = true
	})
	if err != nil {
		return err
	}
	res := versionsResource{More: page.More, Next: s.next(coll, page)}
	for _, r := range page.Records {
		res.Versions = append(res.Versions, versionOf(r))
	}
	return s.writePage(c, f, page, res)
}

// read runs the common part of the four reading endpoints: access checks,
// filters, the object's existence where the URL names one, the query.
func (s *Server) read(c echo.Context, ep endpoint, adjust func(*filters)) (*collection, filters, storage.Page, error) {
	coll, err := s.readableCollection(c)
	if err != nil {
		return nil, filters{}, storage.Page{}, err
	}
	f, err := s.parseFilters(c, coll, ep)
	if err != nil {
		return nil, f, storage.Page{}, err
	}
	ctx := c.Request().Context()
	if id := c.Param("object"); id != "" {
		found, err := s.store.ObjectExists(ctx, coll.ID, id)
		if err != nil {
			return nil, f, storage.Page{}, err
		}
		if !found {
			return nil, f, storage.Page{}, notFound("no object " + id + " in this collection")
		}
	}
	if adjust != nil {
		adjust(&f)
	}
	page, err := s.store.Records(ctx, f.Query)
	if err != nil {
		return nil, f, storage.Page{}, err
	}
	c.Set(ctxObjects, len(page.Records))
	return coll, f, page, nil
}

// next returns a signed token whenever more results exist, on every paged
// endpoint (trap T1, erratum E1).
func (s *Server) next(coll *collection, page storage.Page) string {
	if !page.More {
		return ""
	}
	return s.pager.sign(coll.uuid, page.Next)
}

// versionOf is the TAXII version of a record: its modified (else created)
// as the object states it, or for unversioned objects the date_added.
func versionOf(r storage.Record) string {
	if r.VersionText != "" {
		return r.VersionText
	}
	return formatTimestamp(r.DateAdded)
}

type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

type manifestResource struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []manifestRecord `json:"objects,omitempty"`
}

type versionsResource struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// envelope is an envelope (§3.7) being written: the store copies each
// object's bytes into it straight from its pages (storage.Query.Emit),
// without decoding them or copying them anywhere else first. The objects
// come first, so more and next, known once the page is read, close it.
type envelope struct {
	b bytes.Buffer
	n int
}

func (e *envelope) add(json []byte) {
	if e.n == 0 {
		e.b.WriteString(`{"objects":[`)
	} else {
		e.b.WriteByte(',')
	}
	e.b.Write(json)
	e.n++
}

// maxPooledEnvelope is the largest buffer kept for reuse: a page of
// 1,000 large objects; rarer, larger ones are left to the collector.
const maxPooledEnvelope = 4 << 20

func (s *Server) newEnvelope() *envelope {
	if e, ok := s.envelopes.Get().(*envelope); ok {
		return e
	}
	return &envelope{}
}

func (s *Server) releaseEnvelope(e *envelope) {
	if e.b.Cap() > maxPooledEnvelope {
		return
	}
	e.b.Reset()
	e.n = 0
	s.envelopes.Put(e)
}

// writeEnvelope closes the envelope with more and next and sends it.
func (s *Server) writeEnvelope(c echo.Context, coll *collection, f filters, page storage.Page, e *envelope) error {
	b := &e.b
	if e.n > 0 {
		b.WriteString(`],`)
	} else {
		b.WriteByte('{')
	}
	b.WriteString(`"more":`)
	b.WriteString(strconv.FormatBool(page.More))
	if next := s.next(coll, page); next != "" {
		b.WriteString(`,"next":`)
		quoted, _ := json.Marshal(next)
		b.Write(quoted)
	}
	b.WriteByte('}')
	setDateHeaders(c, f, page)
	return c.Blob(http.StatusOK, MediaTypeTAXII, b.Bytes())
}

func (s *Server) writePage(c echo.Context, f filters, page storage.Page, res any) error {
	setDateHeaders(c, f, page)
	return writeJSON(c, http.StatusOK, res)
}

// setDateHeaders sets X-TAXII-Date-Added-First/Last from the first and last
// records returned (item 21). An empty final page echoes added_after when
// the request had one, a valid value that does not move the client's
// position, and otherwise omits them (erratum E2): never an invalid or
// invented value.
func setDateHeaders(c echo.Context, f filters, page storage.Page) {
	// The map is written directly to keep the spec's spelling: Go would
	// canonicalise the names to X-Taxii-..., and not every client compares
	// header names case-insensitively.
	h := c.Response().Header()
	if n := len(page.Records); n > 0 {
		h[headerDateAddedFirst] = []string{formatTimestamp(page.Records[0].DateAdded)}
		h[headerDateAddedLast] = []string{formatTimestamp(page.Records[n-1].DateAdded)}
		return
	}
	switch {
	case page.More:
		// The page ended on the scan budget before finding a match. The
		// last entry examined is a real date_added past which nothing
		// matched: clients that page by this header still move on.
		h[headerDateAddedFirst] = []string{formatTimestamp(page.Next.DateAdded)}
		h[headerDateAddedLast] = []string{formatTimestamp(page.Next.DateAdded)}
	case f.addedAfterGiven:
		h[headerDateAddedFirst] = []string{formatTimestamp(f.AddedAfter)}
		h[headerDateAddedLast] = []string{formatTimestamp(f.AddedAfter)}
	}
}
