package taxii

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/lookup"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// The lookup extension, outside TAXII 2.1: GET /{api-root}/lookup/?q=VALUE
// answers a STIX 2.1 bundle of what the collections of the API root that
// the caller may read hold for an indicator value, and, unless local=only,
// what Group-IB returns for it now. Headers say how many objects came from
// where: X-Gib-Lookup-Local, and X-Gib-Lookup-Upstream (a count, "cached
// N", "off", or "error" when Group-IB could not answer: the bundle then
// holds the local objects only). When the lookup budget is spent or
// Group-IB answers 429, the answer is 503 with Retry-After. store=C adds
// Group-IB's objects to collection C (the caller needs write permission
// on it) and X-Gib-Lookup-Stored says how many versions were new.
const (
	headerLookupLocal    = "X-Gib-Lookup-Local"
	headerLookupUpstream = "X-Gib-Lookup-Upstream"
	headerLookupStored   = "X-Gib-Lookup-Stored"
	// maxLookupQuery bounds q, as lookup.Service does.
	maxLookupQuery = 1024
)

var (
	errNoLookup = &Error{Status: http.StatusForbidden, Title: "Forbidden",
		Description: "lookups are not granted to this user (users[].lookup in the configuration)"}
	// typedValue is the API's typed form, "ip:198.51.100.7": the store is
	// searched by the value.
	typedValue = regexp.MustCompile(`^(?i:ip|domain|url|hash|md5|sha1|sha256|email|cve)\s*:\s*"?([^"]+)"?$`)
)

// lookupRequest is a parsed lookup.
type lookupRequest struct {
	q         string
	localOnly bool
	limit     int
	keep      *collection // store=, or nil
}

// handleLookup serves GET /{api-root}/lookup/.
func (s *Server) handleLookup(c echo.Context) error {
	req, err := s.parseLookup(c)
	if err != nil {
		return err
	}
	objects, seen, err := s.localLookup(c, req.q, req.limit)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(headerLookupLocal, strconv.Itoa(len(objects)))
	if req.localOnly || s.cfg.Lookup == nil {
		h.Set(headerLookupUpstream, "off")
	} else if objects, err = s.upstreamLookup(c, req, objects, seen); err != nil {
		return err
	}
	c.Set(ctxObjects, len(objects))
	return writeBundle(c, objects)
}

// parseLookup checks the caller's grant and reads the parameters.
func (s *Server) parseLookup(c echo.Context) (lookupRequest, error) {
	p := principalOf(c)
	if p.user == nil {
		return lookupRequest{}, errUnauthorized
	}
	if !p.user.Lookup {
		return lookupRequest{}, errNoLookup
	}
	req := lookupRequest{q: strings.TrimSpace(c.QueryParam("q"))}
	if req.q == "" || len(req.q) > maxLookupQuery {
		return req, badRequest("q is required: an indicator value (198.51.100.7, evil.example, a hash, a CVE id), at most %d bytes", maxLookupQuery)
	}
	switch v := c.QueryParam("local"); v {
	case "":
	case "only":
		req.localOnly = true
	default:
		return req, badRequest("local=%q: the only value is local=only", v)
	}
	var err error
	if req.limit, err = s.lookupLimit(c.QueryParam("limit")); err != nil {
		return req, err
	}
	req.keep, err = s.lookupTarget(c, c.QueryParam("store"), req.localOnly)
	return req, err
}

// upstreamLookup asks Group-IB and adds what it returns to objects (each
// version once), keeping it first when store= asks. A spent budget or a
// 429 is a 503 with Retry-After; any other failure leaves the local
// answer, with a header saying the rest is missing.
func (s *Server) upstreamLookup(c echo.Context, req lookupRequest, objects [][]byte, seen map[string]bool) ([][]byte, error) {
	h := c.Response().Header()
	res, err := s.cfg.Lookup.Lookup(c.Request().Context(), req.q)
	var busy *lookup.BusyError
	switch {
	case errors.As(err, &busy):
		h.Set(echo.HeaderRetryAfter, strconv.Itoa(int(max(busy.RetryAfter.Round(time.Second), time.Second)/time.Second)))
		return nil, &Error{Status: http.StatusServiceUnavailable, Title: "Group-IB busy",
			Description: busy.Reason + "; retry later, or ask with local=only for what this server holds"}
	case errors.Is(err, lookup.ErrBadQuery):
		return nil, badRequest("%v", err)
	case err != nil && c.Request().Context().Err() != nil:
		return nil, err // the client left: nobody to answer
	case err != nil:
		s.log.Warn("lookup failed upstream", "error", err.Error())
		h.Set(headerLookupUpstream, "error")
		if req.keep != nil {
			h.Set(headerLookupStored, "0")
		}
		return objects, nil
	}
	if req.keep != nil {
		if err := s.keepFound(c, req.keep, res.Objects); err != nil {
			return nil, err
		}
	}
	n := 0
	for _, o := range res.Objects {
		if k := o.ID + "@" + o.VersionText; !seen[k] {
			seen[k] = true
			objects = append(objects, o.JSON)
			n++
		}
	}
	if res.Cached {
		h.Set(headerLookupUpstream, "cached "+strconv.Itoa(n))
	} else {
		h.Set(headerLookupUpstream, strconv.Itoa(n))
	}
	return objects, nil
}

// lookupTarget resolves store=COLLECTION (id or alias): a collection of
// the API root the caller may write. nil when store is not asked.
func (s *Server) lookupTarget(c echo.Context, name string, localOnly bool) (*collection, error) {
	if name == "" {
		return nil, nil
	}
	if localOnly || s.cfg.Lookup == nil {
		return nil, badRequest("store= keeps what Group-IB returns: it needs Group-IB lookups (credentials configured), without local=only")
	}
	coll := rootOf(c).collections[name]
	if coll == nil || !principalOf(c).permission(coll.Collection).Write {
		return nil, &Error{Status: http.StatusForbidden, Title: "Forbidden",
			Description: "store=" + clip(name, 64) + ": not a collection of this API root you may write"}
	}
	return coll, nil
}

// keepFound adds the objects Group-IB returned to a collection, in one
// commit as ingest's, keeping only the types the collection takes.
func (s *Server) keepFound(c echo.Context, coll *collection, found []storage.Object) error {
	objs := found
	if len(coll.Types) > 0 {
		objs = nil
		for _, o := range found {
			if slices.Contains(coll.Types, o.Type) {
				objs = append(objs, o)
			}
		}
	}
	res, err := s.store.Commit(c.Request().Context(), storage.Batch{Writes: []storage.Write{{Collection: coll.ID, Objects: objs}}})
	if err != nil {
		return err
	}
	c.Response().Header().Set(headerLookupStored, strconv.Itoa(res.Added))
	return nil
}

func (s *Server) lookupLimit(v string) (int, error) {
	if v == "" {
		return s.cfg.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, badRequest("limit=%q: a positive integer", v)
	}
	return min(n, s.cfg.MaxLimit), nil
}

// localLookup finds the objects carrying the value in every collection of
// the API root the caller may read, each object version once.
func (s *Server) localLookup(c echo.Context, q string, limit int) ([][]byte, map[string]bool, error) {
	value := q
	if m := typedValue.FindStringSubmatch(q); m != nil {
		value = m[1]
	}
	root, p := rootOf(c), principalOf(c)
	seen := map[string]bool{}
	var objects [][]byte
	for i := range root.Collections {
		coll := root.collections[root.Collections[i].ID]
		if !p.permission(coll.Collection).Read {
			continue
		}
		recs, err := s.store.ValueRecords(c.Request().Context(), coll.ID, value, limit)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range recs {
			if k := r.ID + "@" + r.VersionText; !seen[k] {
				seen[k] = true
				objects = append(objects, r.JSON)
			}
		}
	}
	return objects, seen, nil
}

// writeBundle answers a STIX 2.1 bundle of the objects.
func writeBundle(c echo.Context, objects [][]byte) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, MediaTypeSTIX)
	res.WriteHeader(http.StatusOK)
	w := bufio.NewWriter(res)
	fmt.Fprintf(w, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.New())
	for i, o := range objects {
		if i > 0 {
			w.WriteByte(',')
		}
		w.Write(o)
	}
	w.WriteString("]}")
	return w.Flush()
}
