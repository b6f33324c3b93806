package taxii

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Store is what the server reads and writes. boltstore.Store implements it.
type Store interface {
	// Records returns one page of a collection's entries matching q.
	Records(ctx context.Context, q storage.Query) (storage.Page, error)
	// ObjectExists reports whether any version of id is in the collection.
	ObjectExists(ctx context.Context, collection, id string) (bool, error)
	// Commit writes objects added by a client with their receipt.
	Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error)
	// Receipt reads a receipt back; storage.ErrNotFound if there is none.
	Receipt(ctx context.Context, key string) (storage.Receipt, error)
	// Delete removes versions of an object; storage.ErrNotFound if none
	// is selected.
	Delete(ctx context.Context, d storage.Deletion) (int, error)
	// ValueRecords returns the latest versions of the objects carrying an
	// indicator value, newest first, at most limit.
	ValueRecords(ctx context.Context, collection, value string, limit int) ([]storage.Record, error)
}

// Server is the TAXII 2.1 HTTP API. It is safe for concurrent use.
type Server struct {
	cfg          Config
	store        Store
	log          *slog.Logger
	echo         *echo.Echo
	auth         *authenticator
	pager        pager
	roots        []*apiRoot
	anyAnonymous bool
	// envelopes are reused envelope buffers (a page is about a megabyte).
	envelopes sync.Pool
}

// apiRoot is a configured API root with its collections indexed by id and
// by alias.
type apiRoot struct {
	APIRoot
	url          string
	collections  map[string]*collection
	anyAnonymous bool
}

type collection struct {
	*Collection
	uuid uuid.UUID
}

// New builds a server for a validated configuration.
func New(cfg Config, store Store) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Accept == nil {
		cfg.Accept = ParseForCollection
	}
	if cfg.StatusRetention <= 0 {
		cfg.StatusRetention = 24 * time.Hour
	}
	s := &Server{
		cfg:   cfg,
		store: store,
		log:   cfg.Logger,
		auth:  newAuthenticator(cfg.Users),
		pager: pager{key: cfg.PagingKey, maxAge: cfg.NextMaxAge, now: cfg.Now},
	}
	for i := range cfg.APIRoots {
		root, err := newAPIRoot(&cfg.APIRoots[i], cfg.ExternalURL)
		if err != nil {
			return nil, err
		}
		s.roots = append(s.roots, root)
		s.anyAnonymous = s.anyAnonymous || root.anyAnonymous
	}
	s.echo = s.newEcho()
	return s, nil
}

func newAPIRoot(r *APIRoot, externalURL string) (*apiRoot, error) {
	root := &apiRoot{APIRoot: *r, collections: map[string]*collection{},
		url: strings.TrimSuffix(externalURL, "/") + "/" + r.Path + "/"}
	for i := range r.Collections {
		c := &r.Collections[i]
		id, err := uuid.Parse(c.ID)
		if err != nil {
			return nil, err
		}
		served := &collection{Collection: c, uuid: id}
		root.collections[c.ID] = served
		if c.Alias != "" {
			root.collections[c.Alias] = served
		}
		root.anyAnonymous = root.anyAnonymous || c.AnonymousRead
	}
	return root, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// writeJSON writes v as a TAXII resource.
func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, MediaTypeTAXII, b)
}
