package taxii

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

type collectionsResource struct {
	Collections []collectionResource `json:"collections,omitempty"`
}

func resourceOf(c *collection, perm Permission) collectionResource {
	return collectionResource{
		ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: perm.Read, CanWrite: perm.Write, MediaTypes: []string{MediaTypeSTIX},
	}
}

// handleCollections serves GET /{api-root}/collections/ (§5.1): the
// collections the caller may read or write, in configuration order (item
// 39), and {} when there are none (item 38).
func (s *Server) handleCollections(c echo.Context) error {
	root := rootOf(c)
	if err := requireServerAccess(c, root.anyAnonymous); err != nil {
		return err
	}
	p := principalOf(c)
	var res collectionsResource
	for i := range root.Collections {
		coll := root.collections[root.Collections[i].ID]
		if perm := p.permission(coll.Collection); perm.Read || perm.Write {
			res.Collections = append(res.Collections, resourceOf(coll, perm))
		}
	}
	return writeJSON(c, http.StatusOK, res)
}

// handleCollection serves GET /{api-root}/collections/{id}/ (§5.2).
func (s *Server) handleCollection(c echo.Context) error {
	coll, perm, err := s.visibleCollection(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, resourceOf(coll, perm))
}

// visibleCollection resolves the {collection} path parameter, by id or
// alias. A collection the caller may neither read nor write does not exist
// for them (item 13): anonymous callers are asked to authenticate, users get
// 404, the same answer as for a collection that really does not exist.
func (s *Server) visibleCollection(c echo.Context) (*collection, Permission, error) {
	p := principalOf(c)
	coll := rootOf(c).collections[c.Param("collection")]
	var perm Permission
	if coll != nil {
		perm = p.permission(coll.Collection)
	}
	if perm.Read || perm.Write {
		c.Set(ctxCollection, coll)
		return coll, perm, nil
	}
	if p.user == nil {
		return nil, perm, errUnauthorized
	}
	return nil, perm, notFound("no collection " + c.Param("collection") + " in this API root")
}

// readableCollection is visibleCollection for the endpoints that read
// objects: a caller who may only write gets 403 (item 72).
func (s *Server) readableCollection(c echo.Context) (*collection, error) {
	coll, perm, err := s.visibleCollection(c)
	if err != nil {
		return nil, err
	}
	if !perm.Read {
		return nil, errForbidden
	}
	return coll, nil
}

// writableCollection resolves the {collection} of a write: 404 for a
// collection the caller may not see (401 for anonymous callers), 403
// without write permission (item 73), and for DELETE also without read
// permission (item 87). An anonymous caller who may read gets the 403 too:
// items 73 and 87 say 403 where can_write is false, and for the caller as
// it is, it is.
func (s *Server) writableCollection(c echo.Context, needRead bool) (*collection, Permission, error) {
	coll, perm, err := s.visibleCollection(c)
	if err != nil {
		return nil, perm, err
	}
	if !perm.Write || needRead && !perm.Read {
		return nil, perm, errCannotWrite
	}
	return coll, perm, nil
}
