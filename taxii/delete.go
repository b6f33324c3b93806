package taxii

import (
	"errors"
	"net/http"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/labstack/echo/v4"
)

// handleDeleteObject serves DELETE .../objects/{object-id}/ (§5.7): the
// versions match[version] selects (all of them without it) go from every
// read endpoint of this collection. Permissions follow item 87 exactly:
// neither read nor write is 404, one of them 403.
func (s *Server) handleDeleteObject(c echo.Context) error {
	coll, _, err := s.writableCollection(c, true)
	if err != nil {
		return err
	}
	f, err := s.parseFilters(c, coll, endpointDelete)
	if err != nil {
		return err
	}
	id := c.Param("object")
	n, err := s.store.Delete(c.Request().Context(), storage.Deletion{
		Collection: coll.ID, ID: id, Versions: f.Versions, SpecVersions: f.SpecVersions,
	})
	if errors.Is(err, storage.ErrNotFound) {
		return notFound("no object " + id + " with the selected versions in this collection")
	}
	if err != nil {
		return err
	}
	c.Set(ctxObjects, n)
	s.log.Info("objects deleted", "collection", coll.ID, "id", id, "versions", n, "user", principalOf(c).name())
	// No payload (item 85), but the TAXII type all the same: clients
	// check the Content-Type of every answer (trap T13's client).
	c.Response().Header().Set(echo.HeaderContentType, MediaTypeTAXII)
	return c.NoContent(http.StatusOK)
}
