package taxii

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Context keys set by middleware and read by handlers and the request log.
const (
	ctxPrincipal  = "taxii.principal"
	ctxRoot       = "taxii.root"
	ctxCollection = "taxii.collection"
	ctxObjects    = "taxii.objects"
)

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// Log the peer address, not what X-Forwarded-For claims.
	e.IPExtractor = echo.ExtractIPDirect()
	// Clients differ on the trailing slash the spec requires (item 23).
	e.Pre(middleware.AddTrailingSlash())
	e.Use(s.logRequests, s.recoverPanics, s.negotiate, s.authenticate)

	e.GET("/taxii2/", s.handleDiscovery)
	for _, root := range s.roots {
		// Route-level middleware, not a Group: a Group with middleware
		// would answer 404 instead of 405 to other methods.
		base, m := "/"+root.Path, withRoot(root)
		e.GET(base+"/", s.handleAPIRoot, m)
		e.GET(base+"/status/:status/", s.handleStatus, m)
		e.GET(base+"/collections/", s.handleCollections, m)
		e.GET(base+"/collections/:collection/", s.handleCollection, m)
		e.GET(base+"/collections/:collection/manifest/", s.handleManifest, m)
		e.GET(base+"/collections/:collection/objects/", s.handleObjects, m)
		e.POST(base+"/collections/:collection/objects/", s.handleAddObjects, m)
		e.GET(base+"/collections/:collection/objects/:object/", s.handleObject, m)
		e.DELETE(base+"/collections/:collection/objects/:object/", s.handleDeleteObject, m)
		e.GET(base+"/collections/:collection/objects/:object/versions/", s.handleVersions, m)
		e.GET(base+"/lookup/", s.handleLookup, m)
	}
	return e
}

func withRoot(root *apiRoot) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(ctxRoot, root)
			return next(c)
		}
	}
}

func rootOf(c echo.Context) *apiRoot { return c.Get(ctxRoot).(*apiRoot) }

func principalOf(c echo.Context) principal {
	p, _ := c.Get(ctxPrincipal).(principal)
	return p
}
