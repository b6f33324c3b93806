package taxii

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"syscall"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/labstack/echo/v4"
)

// Error is a TAXII error resource (§3.6.1) together with its HTTP status.
// Handlers return it; handleError writes it.
type Error struct {
	Status      int
	Title       string
	Description string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Description) }

func badRequest(format string, args ...any) *Error {
	// Descriptions quote what the client sent: bounded, so that a huge
	// query cannot make a huge answer.
	return &Error{Status: http.StatusBadRequest, Title: "Bad request", Description: clip(fmt.Sprintf(format, args...), 512)}
}

// statusClientClosed is the status logged for a request whose client left.
const statusClientClosed = 499

func notFound(description string) *Error {
	return &Error{Status: http.StatusNotFound, Title: "Not found", Description: clip(description, 512)}
}

var (
	errUnauthorized = &Error{Status: http.StatusUnauthorized, Title: "Authentication required",
		Description: "send valid HTTP Basic credentials"}
	errForbidden = &Error{Status: http.StatusForbidden, Title: "Forbidden",
		Description: "you may not read this collection"}
	errNotAcceptable = &Error{Status: http.StatusNotAcceptable, Title: "Not acceptable",
		Description: "this server speaks TAXII 2.1 only: accept " + MediaTypeTAXII}
)

// errorBody is the JSON of a TAXII error resource; http_status is a string.
type errorBody struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

// handleError is the one place where errors become HTTP responses. Every
// error body is a TAXII error resource with the TAXII content type; causes
// of 5xx responses are logged, never sent.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		// A client that hangs up mid-answer (a load balancer's timeout, a
		// stopped poller) is not the server's error.
		level := slog.LevelError
		if clientGone(err, c) {
			level = slog.LevelDebug
		}
		s.log.Log(c.Request().Context(), level, "error after response started", "error", err.Error(), "path", clip(c.Request().URL.Path, maxLoggedValue))
		return
	}
	te := s.taxiiError(err, c)
	if te.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="gib-taxii"`)
	}
	if te.Status == http.StatusMethodNotAllowed {
		allow, _ := c.Get(echo.ContextKeyHeaderAllow).(string)
		if allow == "" {
			allow = http.MethodGet
		}
		c.Response().Header().Set(echo.HeaderAllow, allow)
	}
	body := errorBody{Title: te.Title, Description: te.Description, HTTPStatus: strconv.Itoa(te.Status)}
	if err := writeJSON(c, te.Status, body); err != nil {
		s.log.Error("write error response", "error", err)
	}
}

func (s *Server) taxiiError(err error, c echo.Context) *Error {
	var te *Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &te):
		return te
	case errors.Is(err, storage.ErrNotFound):
		return notFound("the requested resource does not exist")
	case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
		// The client went away (Go's server cancels the request when the
		// connection closes): nothing failed here, and nobody reads the
		// answer. 499 as nginx logs it; not an error in the log.
		return &Error{Status: statusClientClosed, Title: "Client closed request",
			Description: "the client closed the connection before the answer was ready"}
	case errors.Is(err, storage.ErrCorrupt):
		// The operator is told (logs, /readyz, metrics); the client needs
		// only to know that retrying later may work.
		s.log.Error("store damaged", slog.String("error", err.Error()), slog.String("path", clip(c.Request().URL.Path, maxLoggedValue)))
		return &Error{Status: http.StatusServiceUnavailable, Title: "Service unavailable",
			Description: "the server cannot read this part of its store; the operator has been alerted"}
	case errors.As(err, &he):
		return fromEchoError(he)
	default:
		s.log.Error("internal error", slog.String("error", err.Error()),
			slog.String("method", clip(c.Request().Method, 16)), slog.String("path", clip(c.Request().URL.Path, maxLoggedValue)))
		return &Error{Status: http.StatusInternalServerError, Title: "Internal server error",
			Description: "the server could not complete the request; the cause has been logged"}
	}
}

// clientGone reports an error of writing to a client that has left.
func clientGone(err error, c echo.Context) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil
}

func fromEchoError(he *echo.HTTPError) *Error {
	switch he.Code {
	case http.StatusNotFound:
		return notFound("no TAXII resource at this URL")
	case http.StatusMethodNotAllowed:
		return &Error{Status: he.Code, Title: "Method not allowed",
			Description: "this TAXII resource does not take this method: see the Allow header"}
	}
	msg := http.StatusText(he.Code)
	if s, ok := he.Message.(string); ok {
		msg = s
	}
	return &Error{Status: he.Code, Title: http.StatusText(he.Code), Description: msg}
}
