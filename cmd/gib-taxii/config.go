package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the operator's YAML file. Every key is documented in
// config.example.yaml and the README.
type Config struct {
	Storage  storageConfig  `yaml:"storage"`
	TAXII    taxiiConfig    `yaml:"taxii"`
	Users    []userConfig   `yaml:"users"`
	GroupIB  groupibConfig  `yaml:"groupib"`
	Mappings mappingsConfig `yaml:"mappings"`
	Log      logConfig      `yaml:"log"`
	Ops      opsConfig      `yaml:"ops"`
}

// opsConfig is the operations listener: /readyz with its details and
// /metrics, kept off the TAXII port so that whoever reaches the API learns
// nothing of the store's paths or the ingest figures.
type opsConfig struct {
	// Listen is host:port, or "off".
	Listen string `yaml:"listen"`
}

// mappingsConfig chooses the mapping file; empty means the embedded one.
type mappingsConfig struct {
	Path string `yaml:"path"`
}

type storageConfig struct {
	Path     string         `yaml:"path"`
	Backup   backupConfig   `yaml:"backup"`
	Postgres postgresConfig `yaml:"postgres"`
}

// postgresConfig puts the store in PostgreSQL instead of the bbolt file
// at path: for several gib-taxii processes serving one database.
type postgresConfig struct {
	// URL is the database (postgres://user@host:5432/db?sslmode=...); the
	// password may come from GIB_TAXII_POSTGRES_PASSWORD or the file named
	// by GIB_TAXII_POSTGRES_PASSWORD_FILE, and the whole URL from
	// GIB_TAXII_POSTGRES_URL.
	URL string `yaml:"url"`
	// ReadURL, if set, is a read replica of the same database that serves
	// the TAXII reads; writes and ingest stay on URL.
	ReadURL string `yaml:"read_url"`
}

// backupConfig makes serve write consistent snapshots of the store.
type backupConfig struct {
	Dir      string        `yaml:"dir"`
	Interval time.Duration `yaml:"interval"`
	Keep     int           `yaml:"keep"`
}

type taxiiConfig struct {
	Listen           string            `yaml:"listen"`
	ExternalURL      string            `yaml:"external_url"`
	Title            string            `yaml:"title"`
	Description      string            `yaml:"description"`
	Contact          string            `yaml:"contact"`
	DefaultAPIRoot   string            `yaml:"default_api_root"`
	PageSize         pageSizeConfig    `yaml:"page_size"`
	NextMaxAge       time.Duration     `yaml:"next_max_age"`
	MaxContentLength int               `yaml:"max_content_length"`
	APIRoots         []apiRootConfig   `yaml:"api_roots"`
	TLS              tlsConfig         `yaml:"tls"`
	Timeouts         httpTimeoutConfig `yaml:"timeouts"`
	// MaxHeaderBytes caps a request's header block; MaxConnections the
	// connections open at once (more are answered 503 and closed).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	MaxConnections int `yaml:"max_connections"`
	// StatusRetention is how long the status of an Add Objects request
	// stays readable.
	StatusRetention time.Duration `yaml:"status_retention"`
}

type pageSizeConfig struct {
	Default int `yaml:"default"`
	Max     int `yaml:"max"`
}

type apiRootConfig struct {
	Path        string             `yaml:"path"`
	Title       string             `yaml:"title"`
	Description string             `yaml:"description"`
	Collections []collectionConfig `yaml:"collections"`
}

type collectionConfig struct {
	ID            string `yaml:"id"`
	Alias         string `yaml:"alias"`
	Title         string `yaml:"title"`
	Description   string `yaml:"description"`
	AnonymousRead bool   `yaml:"anonymous_read"`
	// Sources are the Group-IB collections that feed this collection;
	// Types limits the STIX types taken from them (empty: all).
	Sources []string `yaml:"sources"`
	Types   []string `yaml:"types"`
	// Writable lets users with a write grant add objects (TAXII POST) and
	// delete them. A collection fed by Group-IB takes writes only with
	// AllowWritesToFeed: pushed objects would mix with Group-IB's.
	Writable          bool `yaml:"writable"`
	AllowWritesToFeed bool `yaml:"allow_writes_to_feed"`
}

type tlsConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

type httpTimeoutConfig struct {
	ReadHeader time.Duration `yaml:"read_header"`
	// Read bounds reading a whole request, body included.
	Read     time.Duration `yaml:"read"`
	Write    time.Duration `yaml:"write"`
	Idle     time.Duration `yaml:"idle"`
	Shutdown time.Duration `yaml:"shutdown"`
}

type userConfig struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
	// Permissions maps a collection id or alias, or "*" for every
	// collection, to "read", "write" or "read-write".
	Permissions map[string]string `yaml:"permissions"`
	// Lookup grants the lookup extension (GET /{api-root}/lookup/).
	Lookup bool `yaml:"lookup"`
}

type logConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// defaultConfig holds the values a file may leave out.
func defaultConfig() Config {
	return Config{
		Storage: storageConfig{Path: "gib-taxii.db", Backup: backupConfig{Interval: 24 * time.Hour, Keep: 7}},
		TAXII: taxiiConfig{
			Listen:           "127.0.0.1:8080",
			Title:            "gib-taxii",
			Description:      "Group-IB Threat Intelligence as STIX 2.1 over TAXII 2.1",
			PageSize:         pageSizeConfig{Default: 100, Max: 1000},
			NextMaxAge:       7 * 24 * time.Hour,
			MaxContentLength: 10 << 20,
			Timeouts: httpTimeoutConfig{
				ReadHeader: 10 * time.Second, Read: time.Minute, Write: 5 * time.Minute, Idle: 2 * time.Minute, Shutdown: 10 * time.Second,
			},
			MaxHeaderBytes:  32 << 10,
			MaxConnections:  512,
			StatusRetention: 24 * time.Hour,
		},
		Ops:     opsConfig{Listen: "127.0.0.1:9180"},
		GroupIB: defaultGroupIB(),
		Log:     logConfig{Level: "info", Format: "json"},
	}
}

// loadConfig reads and validates a config file, then applies secrets from
// the environment. Unknown keys and invalid values are errors that name
// the key.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := parseConfig(raw, getenv)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

func parseConfig(raw []byte, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, explainYAMLError(err)
	}
	if err := cfg.GroupIB.applyEnv(getenv); err != nil {
		return Config{}, err
	}
	if err := cfg.Storage.Postgres.applyEnv(getenv); err != nil {
		return Config{}, err
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// applyEnv takes the URL, or the password, from the environment when set
// there: a password belongs in a secret, not in the file. The password
// goes into both the URL and the read replica's.
func (p *postgresConfig) applyEnv(getenv func(string) string) error {
	if v := getenv("GIB_TAXII_POSTGRES_URL"); v != "" {
		p.URL = v
	}
	password := getenv("GIB_TAXII_POSTGRES_PASSWORD")
	if file := getenv("GIB_TAXII_POSTGRES_PASSWORD_FILE"); file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("GIB_TAXII_POSTGRES_PASSWORD_FILE: %w", err)
		}
		password = strings.TrimSpace(string(raw))
	}
	if password == "" {
		return nil
	}
	for _, f := range []struct {
		key string
		url *string
	}{{"storage.postgres.url", &p.URL}, {"storage.postgres.read_url", &p.ReadURL}} {
		if *f.url == "" {
			continue
		}
		u, err := url.Parse(*f.url)
		if err != nil || u.User == nil {
			return fmt.Errorf("%s: a password from the environment needs a URL of the form postgres://user@host/db", f.key)
		}
		u.User = url.UserPassword(u.User.Username(), password)
		*f.url = u.String()
	}
	return nil
}
