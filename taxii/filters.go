package taxii

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/labstack/echo/v4"
)

// endpoint names the four endpoints that take filters; each allows a
// different set of match fields (item 66).
type endpoint int

const (
	endpointObjects endpoint = iota
	endpointManifest
	endpointObject
	endpointVersions
	endpointDelete
)

func (e endpoint) allows(field string) bool {
	switch e {
	case endpointObjects, endpointManifest:
		return true
	case endpointObject, endpointDelete:
		return field == "version" || field == "spec_version"
	}
	return field == "spec_version"
}

// maxFilterValues bounds the comma-separated values of one match field,
// so that no single request can ask for an unbounded amount of work.
const maxFilterValues = 100

var specVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// filters is a parsed request: the store query plus what the response
// needs to know about it.
type filters struct {
	storage.Query
	addedAfterGiven bool
}

// parseFilters reads added_after, limit, next and the match[...] fields of
// the request (§3.4). Malformed values are a 400 (item 52); match fields
// this endpoint does not define, and unknown parameters, are ignored.
func (s *Server) parseFilters(c echo.Context, coll *collection, ep endpoint) (filters, error) {
	f := filters{Query: storage.Query{Collection: coll.ID, Limit: s.cfg.DefaultLimit}}
	// Parsed here rather than with c.QueryParams, which silently drops
	// pairs it cannot decode: a filter must never vanish unnoticed.
	params, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return f, badRequest("the query string is not valid URL encoding: %v", err)
	}
	for name, values := range params {
		if len(values) > 1 && (name == "added_after" || name == "limit" || name == "next" || strings.HasPrefix(name, "match[")) {
			return f, badRequest("%s is given more than once", name)
		}
	}
	if ep != endpointDelete { // paging means nothing to a delete
		if err := s.parsePaging(params, coll, &f); err != nil {
			return f, err
		}
	}
	for _, field := range []string{"id", "type", "version", "spec_version"} {
		raw, ok := params["match["+field+"]"]
		if !ok || !ep.allows(field) {
			continue
		}
		values, err := splitValues(field, raw[0])
		if err != nil {
			return f, err
		}
		if err := f.match(field, values); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *Server) parsePaging(params url.Values, coll *collection, f *filters) error {
	if v := params.Get("added_after"); params.Has("added_after") {
		t, err := parseTimestamp(v)
		if err != nil {
			return badRequest("added_after: %v", err)
		}
		f.AddedAfter, f.addedAfterGiven = t, true
	}
	if v := params.Get("limit"); params.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return badRequest("limit: %q is not a positive integer", v)
		}
		f.Limit = min(n, s.cfg.MaxLimit)
	}
	// An empty next is absent: MISP sends next= on its first page (T16).
	if v := params.Get("next"); v != "" {
		pos, err := s.pager.check(v, coll.uuid)
		if err != nil {
			return badRequest("next: %v", err)
		}
		f.Resume = pos
	}
	return nil
}

func splitValues(field, raw string) ([]string, error) {
	values := strings.Split(raw, ",")
	if len(values) > maxFilterValues {
		return nil, badRequest("match[%s]: at most %d values", field, maxFilterValues)
	}
	for _, v := range values {
		if v == "" {
			return nil, badRequest("match[%s]: empty value in %q", field, raw)
		}
	}
	return values, nil
}

func (f *filters) match(field string, values []string) error {
	switch field {
	case "id":
		for i, v := range values {
			values[i] = strings.ToLower(v) // stored ids are lower-case
			if !storage.IsID(values[i]) {
				return badRequest("match[id]: %q is not a STIX identifier", v)
			}
		}
		f.IDs = values
	case "type":
		for _, v := range values {
			if !storage.IsType(v) {
				return badRequest("match[type]: %q is not a STIX type name (3-250 characters of a-z, 0-9 and '-')", v)
			}
		}
		f.Types = values
	case "version":
		return f.matchVersion(values)
	case "spec_version":
		for _, v := range values {
			if !specVersionPattern.MatchString(v) {
				return badRequest("match[spec_version]: %q is not a version such as 2.1", v)
			}
		}
		f.SpecVersions = values
	}
	return nil
}

// matchVersion reads match[version]: last, first, all or timestamps (item
// 63). all excludes every other value, and no value may repeat.
func (f *filters) matchVersion(values []string) error {
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			return badRequest("match[version]: %q is given twice", v)
		}
		seen[v] = true
		switch v {
		case "all":
			f.Versions.All = true
		case "first":
			f.Versions.First = true
		case "last":
			f.Versions.Last = true
		default:
			t, err := parseTimestamp(v)
			if err != nil {
				return badRequest("match[version]: %v; use last, first, all or timestamps", err)
			}
			if slices.ContainsFunc(f.Versions.At, t.Equal) {
				return badRequest("match[version]: %q is given twice", v)
			}
			f.Versions.At = append(f.Versions.At, t)
		}
	}
	if f.Versions.All && len(values) > 1 {
		return badRequest("match[version]: all cannot be combined with other values")
	}
	return nil
}
