package taxii

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// logRequests writes one line per request: operators debugging a SIEM or
// TIP that polls silently have nothing else to go on.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err) // write the response now, so its status can be logged
		}
		req, res := c.Request(), c.Response()
		attrs := []slog.Attr{
			slog.String("method", clip(req.Method, 16)),
			slog.String("path", clip(req.URL.Path, maxLoggedValue)),
			slog.String("query", clip(req.URL.RawQuery, maxLoggedValue)),
			slog.Int("status", res.Status),
			userAttr(principalOf(c)),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote_addr", c.RealIP()),
			slog.String("user_agent", clip(req.UserAgent(), maxLoggedValue)),
		}
		if coll, ok := c.Get(ctxCollection).(*collection); ok {
			attrs = append(attrs, slog.String("collection", coll.ID))
		}
		n, _ := c.Get(ctxObjects).(int)
		attrs = append(attrs, slog.Int("objects", n))
		s.log.LogAttrs(req.Context(), slog.LevelInfo, "taxii request", attrs...)
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.Request(endpointOf(req.Method, c.Path()), res.Status, time.Since(start), n)
		}
		return nil
	}
}

// userAttr names who a request acted for; a failed sign-in is logged with
// the name that was sent (clipped), not as anonymous.
func userAttr(p principal) slog.Attr {
	if p.user == nil && p.attempted != "" {
		return slog.String("user", clip(p.attempted, 64)+" (failed sign-in)")
	}
	return slog.String("user", p.name())
}

// recoverPanics turns a panic into a 500 with a TAXII body and a logged
// stack, never a stack trace on the wire.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic serving request", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// negotiate refuses only requests that explicitly want another TAXII
// version (items 15-17, traps T6, T7). Content-Type on GET is ignored (T16).
func (s *Server) negotiate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !acceptable(c.Request().Header.Get(echo.HeaderAccept)) {
			return errNotAcceptable
		}
		return next(c)
	}
}

// authenticate resolves the principal. Wrong credentials are refused here
// (401), attempts that cannot be checked now too (429, Retry-After), and so
// is every anonymous request when nothing is open to anonymous callers, so
// that they learn nothing of which URLs exist (item 13); what a principal
// may see is otherwise decided per endpoint.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.auth.authenticate(c.Request().Context(), c.Request().Header.Get(echo.HeaderAuthorization))
		if errors.Is(err, errAuthBusy) {
			p.attempted = "" // not checked: not a failed sign-in
			c.Response().Header().Set(echo.HeaderRetryAfter, authRetryAfter)
		}
		c.Set(ctxPrincipal, p) // for the handler, and for the log line whatever the outcome
		if err != nil {
			return err
		}
		if p.user == nil && !s.anyAnonymous {
			return errUnauthorized
		}
		return next(c)
	}
}

// endpointOf names the TAXII endpoint of a request's route, for metrics.
func endpointOf(method, route string) string {
	switch {
	case method == http.MethodPost && strings.HasSuffix(route, "/objects/"):
		return "add_objects"
	case method == http.MethodDelete && strings.HasSuffix(route, "/objects/:object/"):
		return "delete_object"
	case route == "/taxii2/":
		return "discovery"
	case strings.HasSuffix(route, "/versions/"):
		return "versions"
	case strings.HasSuffix(route, "/objects/:object/"):
		return "object"
	case strings.HasSuffix(route, "/objects/"):
		return "objects"
	case strings.HasSuffix(route, "/manifest/"):
		return "manifest"
	case strings.HasSuffix(route, "/collections/:collection/"):
		return "collection"
	case strings.HasSuffix(route, "/collections/"):
		return "collections"
	case strings.HasSuffix(route, "/status/:status/"):
		return "status"
	case strings.HasSuffix(route, "/lookup/"):
		return "lookup"
	case route != "" && strings.Count(route, "/") >= 2 && !strings.Contains(route, "*"):
		return "api_root"
	}
	return "other"
}
