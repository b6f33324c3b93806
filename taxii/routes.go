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
	// Clients differ on the trailing slash the spec requires (item 23).
	e.Pre(middleware.AddTrailingSlash())
	e.Use(s.logRequests, s.recoverPanics, s.negotiate, s.authenticate)

	e.GET("/taxii2/", s.handleDiscovery)
	for _, root := range s.roots {
		g := e.Group("/"+root.Path, withRoot(root))
		g.GET("/", s.handleAPIRoot)
		g.GET("/status/:status/", s.handleStatus)
		g.GET("/collections/", s.handleCollections)
		g.GET("/collections/:collection/", s.handleCollection)
		g.GET("/collections/:collection/manifest/", s.handleManifest)
		g.GET("/collections/:collection/objects/", s.handleObjects)
		g.GET("/collections/:collection/objects/:object/", s.handleObject)
		g.GET("/collections/:collection/objects/:object/versions/", s.handleVersions)
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
