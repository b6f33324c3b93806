package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExampleConfigIsValid(t *testing.T) {
	secrets := map[string]string{"GIB_USERNAME": "analyst@example.com", "GIB_API_KEY": "k"}
	getenv := func(k string) string { return secrets[k] }
	_, err := loadConfig("../../config.example.yaml", getenv)
	require.ErrorContains(t, err, "users[0].password_hash: is the example's hash", "a copied example must not open the server")
	raw, err := os.ReadFile("../../config.example.yaml")
	require.NoError(t, err)
	cfg, err := parseConfig([]byte(strings.ReplaceAll(string(raw), exampleHash, string(analystHash(t)))), getenv)
	require.NoError(t, err)
	assert.Contains(t, cfg.GroupIB.enabledCollections(), "apt/threat")
	assert.NotContains(t, cfg.GroupIB.enabledCollections(), "compromised/breached", "enabled: false")
	engine, err := loadMappings("")
	require.NoError(t, err)
	for _, c := range cfg.GroupIB.enabledCollections() {
		assert.Contains(t, engine.Collections(), c, "the example only polls mapped collections")
	}
	assert.Equal(t, "https://taxii.example.com", cfg.TAXII.ExternalURL)
	assert.Equal(t, 168*time.Hour, cfg.TAXII.NextMaxAge)
	require.Len(t, cfg.TAXII.APIRoots, 1)
	assert.Len(t, cfg.TAXII.APIRoots[0].Collections, 5)
	for _, c := range cfg.TAXII.APIRoots[0].Collections {
		assert.False(t, c.AnonymousRead, "anonymous access stays commented out")
	}
	siem := cfg.TAXII.APIRoots[0].Collections[0]
	require.Equal(t, "indicators", siem.Alias)
	for _, s := range siem.Sources {
		assert.NotContains(t, s, "suspicious_ip/", "suspicious IPs are context, not a SIEM's alerts")
	}
	assert.Contains(t, siem.Types, "relationship", "the SIEM collection says what its indicators indicate")

	tc := cfg.taxiiConfig([]byte("k"), nil)
	perms := tc.Users[0].Permissions
	assert.Equal(t, map[string]bool{"3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c": true}, readable(perms), "sentinel reads the indicators alias")
	assert.Len(t, readable(tc.Users[1].Permissions), 5, "opencti reads every collection through *")
}

func readable(perms map[string]taxii.Permission) map[string]bool {
	out := map[string]bool{}
	for id, p := range perms {
		if p.Read {
			out[id] = true
		}
	}
	return out
}

const minimal = `
storage: {path: x.db}
taxii:
  api_roots:
    - path: gib
      title: GIB
      collections:
        - {id: 3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c, title: Indicators, alias: indicators}
`

func TestMinimalConfigGetsDefaults(t *testing.T) {
	cfg, err := parseConfig([]byte(minimal), noEnv)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080", cfg.TAXII.ExternalURL)
	assert.Equal(t, 100, cfg.TAXII.PageSize.Default)
	assert.Equal(t, 1000, cfg.TAXII.PageSize.Max)
}

// Unknown keys and values of the wrong YAML type fail with the line.
func TestConfigYAMLErrorsNameTheLine(t *testing.T) {
	// The errors speak of keys and values, never of Go types: they once
	// said "field listne not found in type main.taxiiConfig".
	cases := map[string]struct{ yaml, want string }{
		"unknown key": {"storage: {path: x.db, colour: blue}", `line 1: unknown key "colour" under storage (keys there: path, backup, postgres)`},
		"unknown nested key": {"taxii:\n  api_roots:\n    - {path: gib, title: G, colections: []}",
			`line 3: unknown key "colections" under taxii.api_roots[]; did you mean "collections"?`},
		"typo at the top":     {"taxi:\n  listen: x", `line 1: unknown key "taxi" at the top level; did you mean "taxii"?`},
		"not a duration":      {"taxii:\n  next_max_age: 300", "line 2: 300 is not a duration: write it with a unit, such as 30s, 5m or 72h"},
		"not a number":        {"taxii: {page_size: {max: lots}}", "line 1: lots is not a number"},
		"a list for a map":    {"taxii: [1]", `line 1: a list where taxii needs "key: value" lines (listen,`},
		"a scalar for a list": {"taxii:\n  api_roots: gib", `line 2: gib is not a list: write [a, b] or one "- item" per line`},
	}
	for name, tc := range cases {
		_, err := parseConfig([]byte(tc.yaml), noEnv)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
		assert.NotContains(t, err.Error(), "main.", name)
		assert.NotContains(t, err.Error(), "unmarshal", name)
	}
}

// Invalid values fail with a message naming the key.
func TestConfigValueErrorsNameTheKey(t *testing.T) {
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"bad listen":          {func(c *Config) { c.TAXII.Listen = "nowhere" }, "taxii.listen"},
		"bad external url":    {func(c *Config) { c.TAXII.ExternalURL = "ftp://x" }, "taxii.external_url"},
		"external url query":  {func(c *Config) { c.TAXII.ExternalURL = "https://x/?a=b" }, "taxii.external_url"},
		"page size":           {func(c *Config) { c.TAXII.PageSize.Default = 0 }, "taxii.page_size.default"},
		"max below default":   {func(c *Config) { c.TAXII.PageSize.Max = 10 }, "taxii.page_size.max"},
		"next max age":        {func(c *Config) { c.TAXII.NextMaxAge = 0 }, "taxii.next_max_age"},
		"content length":      {func(c *Config) { c.TAXII.MaxContentLength = 0 }, "taxii.max_content_length"},
		"no api roots":        {func(c *Config) { c.TAXII.APIRoots = nil }, "taxii.api_roots: at least one"},
		"root path slash":     {func(c *Config) { c.TAXII.APIRoots[0].Path = "/gib/" }, "taxii.api_roots[0].path"},
		"root path taxii2":    {func(c *Config) { c.TAXII.APIRoots[0].Path = "taxii2" }, "taxii.api_roots[0].path"},
		"root title":          {func(c *Config) { c.TAXII.APIRoots[0].Title = "" }, "taxii.api_roots[0].title"},
		"collection not uuid": {func(c *Config) { c.TAXII.APIRoots[0].Collections[0].ID = "indicators" }, "taxii.api_roots[0].collections[0].id"},
		"uuid v1":             {func(c *Config) { c.TAXII.APIRoots[0].Collections[0].ID = "3a1f6c2e-9b4d-1e7a-8c5f-1d2e3f4a5b6c" }, "not a lower-case UUIDv4"},
		"upper-case uuid":     {func(c *Config) { c.TAXII.APIRoots[0].Collections[0].ID = "3A1F6C2E-9B4D-4E7A-8C5F-1D2E3F4A5B6C" }, "collections[0].id"},
		"dotted title":        {func(c *Config) { c.TAXII.APIRoots[0].Collections[0].Title = "Group-IB v1.2" }, "collections[0].title"},
		"uuid alias":          {func(c *Config) { c.TAXII.APIRoots[0].Collections[0].Alias = "8e7d6c5b-4a39-4281-9f0e-d1c2b3a4f5e6" }, "collections[0].alias"},
		"tls half":            {func(c *Config) { c.TAXII.TLS.CertFile = "a.crt" }, "taxii.tls"},
		"log level":           {func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		"log format":          {func(c *Config) { c.Log.Format = "xml" }, "log.format"},
		"storage path":        {func(c *Config) { c.Storage.Path = "" }, "storage.path"},
		"default root":        {func(c *Config) { c.TAXII.DefaultAPIRoot = "nope" }, "taxii.default_api_root"},
		"user no hash":        {func(c *Config) { c.Users = []userConfig{{Name: "a", PasswordHash: "secret"}} }, "users[0].password_hash"},
		"user colon":          {func(c *Config) { c.Users = []userConfig{{Name: "a:b"}} }, "users[0].name"},
		"bad permission": {func(c *Config) {
			c.Users = []userConfig{{Name: "a", Permissions: map[string]string{"indicators": "admin"}}}
		}, "users[0].permissions[indicators]"},
		"unfed groupib collection": {func(c *Config) {
			c.GroupIB.Username, c.GroupIB.APIKey = "u", "k"
			c.GroupIB.Collections = map[string]gibCollectionConfig{"ioc/common": {}}
		}, "groupib.collections[ioc/common]: no TAXII collection lists it in sources"},
		"source not enabled": {func(c *Config) {
			c.TAXII.APIRoots[0].Collections[0].Sources = []string{"malware/cnc"}
		}, `taxii.api_roots[0].collections[0].sources: "malware/cnc" is not an enabled collection`},
		"unknown collection": {func(c *Config) {
			c.Users = []userConfig{{Name: "a", Permissions: map[string]string{"reports": "read"}}}
		}, `users[0].permissions[reports]: no collection has id or alias "reports"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(minimal), noEnv)
			require.NoError(t, err)
			tc.edit(&cfg)
			err = cfg.validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDuplicateCollectionsRefused(t *testing.T) {
	cfg := `
taxii:
  api_roots:
    - path: a
      title: A
      collections:
        - {id: 3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c, title: One, alias: x}
        - {id: 3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c, title: One, alias: x}
    - path: a
      title: B
`
	_, err := parseConfig([]byte(cfg), noEnv)
	require.Error(t, err)
	for _, want := range []string{
		"taxii.api_roots[0].collections[1].id: \"3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c\" is used twice",
		"taxii.api_roots[0].collections[1].title: \"One\" is used twice",
		"taxii.api_roots[0].collections[1].alias: \"x\" is used twice",
		"taxii.api_roots[1].path: \"a\" is used twice",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := loadConfig(t.TempDir()+"/none.yaml", noEnv)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func noEnv(string) string { return "" }

// A collection configured without id gets a UUIDv4 once, kept in the
// store, so that clients' stored ids never change.
func TestGeneratedCollectionIDIsStable(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
storage: {path: %q}
taxii:
  api_roots:
    - path: gib
      title: GIB
      collections:
        - {alias: indicators, title: Indicators}
        - {title: Reports}
`, filepath.Join(dir, "s.db"))), 0o600))
	ids := func() []string {
		e, out, _ := testEnv("")
		require.NoError(t, run(context.Background(), e, []string{"status", "--config", cfgPath}))
		return uuidV4.FindAllString(out.String(), -1)
	}
	first := ids()
	require.Len(t, first, 4, "two collections, each id in its line and URL")
	assert.NotEqual(t, first[0], first[2])
	assert.Equal(t, first, ids(), "the same ids on the next start")
}

var uuidV4 = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

// The example documents the backup keys with the names and limits the code
// uses, and the README names the snapshots as they are written.
func TestExampleAndREADMEDescribeBackupsAsTheyAre(t *testing.T) {
	example, err := os.ReadFile("../../config.example.yaml")
	require.NoError(t, err)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(example), "  backup:\n")
	assert.Contains(t, string(example), backupPrefix+"<UTC time>.db")
	assert.Contains(t, string(readme), backupPrefix+"<UTC time>.db")
	assert.NotContains(t, string(example), `"bbolt compact" or by copying`, "a live store is not copied")
	cfg := defaultConfig()
	assert.Contains(t, string(example), "interval: "+strings.TrimSuffix(cfg.Storage.Backup.Interval.String(), "0m0s"))
	assert.Contains(t, string(example), fmt.Sprintf("keep: %d", cfg.Storage.Backup.Keep))
}
