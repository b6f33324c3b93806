package taxii

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

type apiRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

// requireServerAccess lets in users, and anonymous callers when anonymous
// reading is enabled somewhere (they need discovery to find it).
func requireServerAccess(c echo.Context, anonymousAllowed bool) error {
	if principalOf(c).user == nil && !anonymousAllowed {
		return errUnauthorized
	}
	return nil
}

// handleDiscovery serves GET /taxii2/ (§4.1). API root URLs are absolute,
// built from the external URL, with a trailing slash (trap T9).
func (s *Server) handleDiscovery(c echo.Context) error {
	if err := requireServerAccess(c, s.anyAnonymous); err != nil {
		return err
	}
	res := discoveryResource{Title: s.cfg.Title, Description: s.cfg.Description, Contact: s.cfg.Contact}
	for _, root := range s.roots {
		res.APIRoots = append(res.APIRoots, root.url)
		if root.Path == s.cfg.DefaultAPIRoot {
			res.Default = root.url
		}
	}
	return writeJSON(c, http.StatusOK, res)
}

// handleAPIRoot serves GET /{api-root}/ (§4.2).
func (s *Server) handleAPIRoot(c echo.Context) error {
	root := rootOf(c)
	if err := requireServerAccess(c, root.anyAnonymous); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, apiRootResource{
		Title:            root.Title,
		Description:      root.Description,
		Versions:         []string{MediaTypeTAXII},
		MaxContentLength: root.MaxContentLength,
	})
}
