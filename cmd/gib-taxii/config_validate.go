package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// problems collects validation errors, each prefixed with its YAML key.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New("invalid configuration:\n  " + strings.Join(p, "\n  "))
}

var (
	rootPathPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$`)
	aliasPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	permissionNames = map[string]bool{"read": true, "write": true, "read-write": true}
)

func (c *Config) validate() error {
	var p problems
	if c.Storage.Path == "" && c.Storage.Postgres.URL == "" {
		p.add("storage.path", "is required (or storage.postgres.url)")
	}
	if pg := c.Storage.Postgres.URL; pg != "" {
		if u, err := url.Parse(pg); err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" {
			p.add("storage.postgres.url", "is not a URL such as postgres://gib@db.example.com:5432/gib")
		}
		if r := c.Storage.Postgres.ReadURL; r != "" {
			if u, err := url.Parse(r); err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" {
				p.add("storage.postgres.read_url", "is not a URL such as postgres://gib@replica.example.com:5432/gib")
			}
		}
		if c.Storage.Backup.Dir != "" {
			p.add("storage.backup.dir", "backs up the bbolt file only: with storage.postgres, back up the database (pg_dump, replicas)")
		}
	}
	if b := c.Storage.Backup; b.Dir != "" && (b.Interval < time.Minute || b.Keep < 1) {
		p.add("storage.backup", "interval must be at least 1m and keep at least 1")
	}
	if b := c.Storage.Backup; b.Dir != "" && filepath.Clean(b.Dir) == filepath.Dir(filepath.Clean(c.Storage.Path)) {
		p.add("storage.backup.dir", "must not be the store's own directory: use a directory of its own")
	}
	c.TAXII.validate(&p)
	c.validateUsers(&p)
	c.validateGroupIB(&p)
	if _, ok := logLevels[c.Log.Level]; !ok {
		p.add("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		p.add("log.format", "%q is not json or text", c.Log.Format)
	}
	if _, _, err := net.SplitHostPort(c.Ops.Listen); err != nil && c.Ops.Listen != "off" {
		p.add("ops.listen", "%q is not host:port or off", c.Ops.Listen)
	}
	return p.err()
}

func (t *taxiiConfig) validate(p *problems) {
	if _, _, err := net.SplitHostPort(t.Listen); err != nil {
		p.add("taxii.listen", "%q is not host:port", t.Listen)
	}
	t.validateExternalURL(p)
	if t.Title == "" {
		p.add("taxii.title", "is required")
	}
	if t.PageSize.Default < 1 {
		p.add("taxii.page_size.default", "must be at least 1")
	}
	if t.PageSize.Max < t.PageSize.Default || t.PageSize.Max > 10000 {
		p.add("taxii.page_size.max", "must be between page_size.default and 10000")
	}
	if t.NextMaxAge <= 0 {
		p.add("taxii.next_max_age", "must be a positive duration such as 168h")
	}
	if t.MaxContentLength < 1 {
		p.add("taxii.max_content_length", "must be a positive number of bytes")
	}
	if t.MaxHeaderBytes < 4<<10 || t.MaxHeaderBytes > 1<<20 {
		p.add("taxii.max_header_bytes", "must be between 4096 and 1048576")
	}
	if t.MaxConnections < 1 {
		p.add("taxii.max_connections", "must be at least 1")
	}
	if t.StatusRetention < time.Hour {
		p.add("taxii.status_retention", "must be at least 1h (TAXII asks for 24h: clients poll a status after posting)")
	}
	if tm := t.Timeouts; tm.ReadHeader <= 0 || tm.Read <= 0 || tm.Write <= 0 || tm.Idle <= 0 || tm.Shutdown <= 0 {
		p.add("taxii.timeouts", "read_header, read, write, idle and shutdown must be positive durations")
	}
	if (t.TLS.CertFile == "") != (t.TLS.KeyFile == "") {
		p.add("taxii.tls", "cert_file and key_file go together")
	}
	t.validateAPIRoots(p)
}

// validateExternalURL defaults external_url to the listen address.
func (t *taxiiConfig) validateExternalURL(p *problems) {
	if t.ExternalURL == "" {
		scheme := "http"
		if t.TLS.CertFile != "" {
			scheme = "https"
		}
		t.ExternalURL = scheme + "://" + t.Listen
		return
	}
	u, err := url.Parse(t.ExternalURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		p.add("taxii.external_url", "%q must be an absolute http(s) URL without query, e.g. https://taxii.example.com", t.ExternalURL)
	}
	t.ExternalURL = strings.TrimSuffix(t.ExternalURL, "/")
}

func (t *taxiiConfig) validateAPIRoots(p *problems) {
	if len(t.APIRoots) == 0 {
		p.add("taxii.api_roots", "at least one API root is required")
	}
	paths := map[string]bool{}
	ids := map[string]bool{}
	titles := map[string]bool{}
	for i, r := range t.APIRoots {
		key := fmt.Sprintf("taxii.api_roots[%d]", i)
		switch {
		case !rootPathPattern.MatchString(r.Path):
			p.add(key+".path", "%q must be URL path segments such as \"gib\" or \"taxii2/gib\", without leading or trailing slash", r.Path)
		case r.Path == "taxii2":
			p.add(key+".path", "\"taxii2\" is the discovery endpoint")
		case paths[r.Path]:
			p.add(key+".path", "%q is used twice", r.Path)
		}
		paths[r.Path] = true
		if r.Title == "" {
			p.add(key+".title", "is required")
		}
		aliases := map[string]bool{}
		for j, c := range r.Collections {
			c.validate(p, fmt.Sprintf("%s.collections[%d]", key, j), ids, titles, aliases)
		}
	}
	if t.DefaultAPIRoot != "" && !paths[t.DefaultAPIRoot] {
		p.add("taxii.default_api_root", "%q is not the path of an API root", t.DefaultAPIRoot)
	}
}

// validate checks one collection. Ids are UUIDv4 (Sentinel refuses others,
// trap T8) and unique in the server, as they key the store; titles are
// unique and dot-free (T10: clients pick collections by title).
func (c collectionConfig) validate(p *problems, key string, ids, titles, aliases map[string]bool) {
	// An absent id is generated once and kept in the store (stableIDs).
	if c.ID != "" {
		if u, err := uuid.Parse(c.ID); err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != c.ID {
			p.add(key+".id", "%q is not a lower-case UUIDv4 (generate one with: uuidgen | tr A-Z a-z, or leave it out)", c.ID)
		} else if ids[c.ID] {
			p.add(key+".id", "%q is used twice", c.ID)
		}
		ids[c.ID] = true
	}
	switch {
	case c.Title == "":
		p.add(key+".title", "is required")
	case strings.Contains(c.Title, "."):
		p.add(key+".title", "%q must not contain '.' (OpenCTI splits on it)", c.Title)
	case titles[c.Title]:
		p.add(key+".title", "%q is used twice", c.Title)
	}
	titles[c.Title] = true
	if c.Writable && len(c.Sources) > 0 && !c.AllowWritesToFeed {
		p.add(key+".writable", "this collection is fed by Group-IB (sources): objects pushed into it would mix with Group-IB's, "+
			"and deletes would remove Group-IB's; use a collection without sources for writes, or add allow_writes_to_feed: true")
	}
	if c.AllowWritesToFeed && !c.Writable {
		p.add(key+".allow_writes_to_feed", "means nothing without writable: true")
	}
	if c.Alias == "" {
		return
	}
	if _, err := uuid.Parse(c.Alias); err == nil || !aliasPattern.MatchString(c.Alias) {
		p.add(key+".alias", "%q must be letters, digits, '-' and '_' and not a UUID", c.Alias)
	} else if aliases[c.Alias] {
		p.add(key+".alias", "%q is used twice in this API root", c.Alias)
	}
	aliases[c.Alias] = true
}

// exampleHash is config.example.yaml's hash of "change-me": a copied
// example must not open the server to whoever read the example.
const exampleHash = "$2a$10$J3aaalSYAIpGlFTVM05C/OR9UV4obsWc9ZPws6B2Mavz5.j4bkxVO"

func (c *Config) validateUsers(p *problems) {
	for i, u := range c.Users {
		if u.PasswordHash == exampleHash {
			p.add(fmt.Sprintf("users[%d].password_hash", i), "is the example's hash of \"change-me\": make one for a password of "+
				"your own with: echo 'a long password' | gib-taxii hash-password")
		}
	}
	names := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Name == "" || strings.Contains(u.Name, ":") || len(u.Name) > 128:
			p.add(key+".name", "is required, at most 128 bytes, and must not contain ':'")
		case names[u.Name]:
			p.add(key+".name", "%q is used twice", u.Name)
		}
		names[u.Name] = true
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			p.add(key+".password_hash", "is not a bcrypt hash (make one with: gib-taxii hash-password)")
		}
		for coll, perm := range u.Permissions {
			if !permissionNames[perm] {
				p.add(fmt.Sprintf("%s.permissions[%s]", key, coll), "%q is not read, write or read-write", perm)
			}
			if _, err := c.TAXII.resolveCollection(coll); coll != "*" && err != nil {
				p.add(fmt.Sprintf("%s.permissions[%s]", key, coll), "%v", err)
			}
		}
	}
}

// resolveCollection finds a collection by id or alias in any API root.
func (t *taxiiConfig) resolveCollection(idOrAlias string) (collectionConfig, error) {
	var found []collectionConfig
	for _, r := range t.APIRoots {
		for _, c := range r.Collections {
			if c.ID == idOrAlias || c.Alias == idOrAlias {
				found = append(found, c)
			}
		}
	}
	switch len(found) {
	case 0:
		return collectionConfig{}, fmt.Errorf("no collection has id or alias %q", idOrAlias)
	case 1:
		return found[0], nil
	}
	return collectionConfig{}, fmt.Errorf("alias %q names collections in several API roots: use the id", idOrAlias)
}
