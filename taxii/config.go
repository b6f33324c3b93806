package taxii

import (
	"context"
	"log/slog"
	"time"

	"github.com/gib-taxii/gib-taxii/lookup"
	"github.com/gib-taxii/gib-taxii/storage"
)

// Config describes what the server serves and to whom. cmd/gib-taxii builds
// it from the operator's file and validates it; New trusts it.
type Config struct {
	// ExternalURL is the scheme and host clients reach the server at
	// (behind any proxy), e.g. https://taxii.example.com. API root URLs in
	// discovery are built from it.
	ExternalURL string
	Title       string
	Description string
	Contact     string
	// DefaultAPIRoot is the Path of the API root discovery names as default.
	DefaultAPIRoot string
	APIRoots       []APIRoot
	Users          []User
	// DefaultLimit applies when a request has no limit; MaxLimit caps it.
	DefaultLimit int
	MaxLimit     int
	// PagingKey signs next tokens; NextMaxAge is how long they stay valid.
	PagingKey  []byte
	NextMaxAge time.Duration
	// Now is the clock for token ages. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics, if set, observes every request.
	Metrics Metrics
	// Accept checks one object posted to a writable collection that takes
	// the given types (empty: any) and parses it for storage; the error
	// says why it is refused. Default: storage.ParseObject and the types.
	Accept func(raw []byte, types []string) (storage.Object, error)
	// StatusRetention is how long the status of an Add Objects request
	// stays readable. Default 24h, the spec's minimum (item 83).
	StatusRetention time.Duration
	// Lookup, if set, answers the lookup extension's questions from the
	// Group-IB API (GET /{api-root}/lookup/); without it, lookups answer
	// from the store only.
	Lookup Lookuper
}

// Lookuper asks Group-IB about a value now (lookup.Service).
type Lookuper interface {
	Lookup(ctx context.Context, q string) (lookup.Result, error)
}

// Metrics observes requests; implementations are safe for concurrent use.
type Metrics interface {
	// Request records one request: its endpoint (discovery, api_root,
	// collections, collection, manifest, objects, object, versions, status,
	// add_objects, delete_object or other), HTTP status, duration and the
	// objects it returned or was sent.
	Request(endpoint string, status int, duration time.Duration, objects int)
}

// APIRoot is one TAXII API root, served at /<Path>/.
type APIRoot struct {
	Path             string
	Title            string
	Description      string
	MaxContentLength int
	Collections      []Collection
}

// Collection is a TAXII collection of an API root.
type Collection struct {
	storage.Collection
	// AnonymousRead lets requests without credentials read the collection.
	AnonymousRead bool
	// Writable lets users with write permission add objects to the
	// collection and delete them; without it, can_write is false for all.
	Writable bool
	// Types, if set, are the only STIX types objects added may have.
	Types []string
}

// User is an account for HTTP Basic authentication.
type User struct {
	Name string
	// PasswordHash is a bcrypt hash.
	PasswordHash string
	// Permissions is keyed by collection id; absent means no access.
	Permissions map[string]Permission
	// Lookup lets the user call the lookup extension (GET
	// /{api-root}/lookup/), which answers from the collections the user
	// may read and, spending the Group-IB API quota, from Group-IB.
	Lookup bool
}

// Permission is what a user may do with one collection.
type Permission struct {
	Read  bool
	Write bool
}
