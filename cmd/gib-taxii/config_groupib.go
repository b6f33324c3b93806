package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
)

// groupibConfig is the groupib section: the API connection and the
// collections to poll.
type groupibConfig struct {
	URL string `yaml:"url"`
	// Username and APIKey may (and should) come from GIB_USERNAME and
	// GIB_API_KEY, or the files named by GIB_USERNAME_FILE/GIB_API_KEY_FILE.
	Username    string                         `yaml:"username"`
	APIKey      string                         `yaml:"api_key"`
	Proxy       string                         `yaml:"proxy"`
	Timeout     time.Duration                  `yaml:"timeout"`
	RateLimit   float64                        `yaml:"rate_limit"`
	Burst       int                            `yaml:"burst"`
	Collections map[string]gibCollectionConfig `yaml:"collections"`
	Lookup      gibLookupConfig                `yaml:"lookup"`
}

// gibLookupConfig is the quota lookups may spend (GET /{root}/lookup/ and
// gib-taxii lookup).
type gibLookupConfig struct {
	// Budget is the Group-IB requests per second lookups may make, Burst
	// how many at once: less than the credential's rate_limit, so that
	// ingest always keeps the rest. A lookup asks about at most Burst-1
	// collections. Default: half the rate_limit, burst 5.
	Budget float64 `yaml:"budget"`
	Burst  int     `yaml:"burst"`
	// CacheTTL is how long an answer is reused for the same query (default
	// 5m); MaxItems how many items are fetched per collection (default 10).
	CacheTTL time.Duration `yaml:"cache_ttl"`
	MaxItems int           `yaml:"max_items"`
}

type gibCollectionConfig struct {
	Enabled      *bool             `yaml:"enabled"`
	Lookback     time.Duration     `yaml:"lookback"`
	PollInterval time.Duration     `yaml:"poll_interval"`
	Limit        int               `yaml:"limit"`
	Params       map[string]string `yaml:"params"`
}

func defaultGroupIB() groupibConfig {
	return groupibConfig{URL: ingest.DefaultBaseURL, Timeout: 120 * time.Second, RateLimit: 1, Burst: 1,
		Lookup: gibLookupConfig{Burst: 5, CacheTTL: 5 * time.Minute, MaxItems: 10}}
}

func (c gibCollectionConfig) enabled() bool { return c.Enabled == nil || *c.Enabled }

// applyEnv takes the credentials from the environment when set there.
func (g *groupibConfig) applyEnv(getenv func(string) string) error {
	for _, s := range []struct {
		name string
		dst  *string
	}{{"GIB_USERNAME", &g.Username}, {"GIB_API_KEY", &g.APIKey}} {
		if v := getenv(s.name); v != "" {
			*s.dst = v
		}
		if file := getenv(s.name + "_FILE"); file != "" {
			raw, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", s.name, err)
			}
			*s.dst = strings.TrimSpace(string(raw))
		}
	}
	return nil
}

// pollCredentials is checked by the commands that poll Group-IB (serve,
// ingest) and only by them: export, import, status and check never call
// the API and must work without its secrets.
func (c Config) pollCredentials() error {
	g := c.GroupIB
	if len(g.enabledCollections()) > 0 && (g.Username == "" || g.APIKey == "") {
		return errors.New("invalid configuration:\n  groupib.username: username and api_key are required to poll " +
			"collections (set GIB_USERNAME and GIB_API_KEY, or their _FILE variants)")
	}
	return nil
}

// lookupBudget is the lookup budget: as configured, or half the rate limit.
func (g groupibConfig) lookupBudget() float64 {
	if g.Lookup.Budget > 0 {
		return g.Lookup.Budget
	}
	return g.RateLimit / 2
}

// hasCredentials reports whether Group-IB can be asked at all.
func (g groupibConfig) hasCredentials() bool { return g.Username != "" && g.APIKey != "" }

// enabledCollections returns the names of the collections to poll, sorted.
func (g groupibConfig) enabledCollections() []string {
	var names []string
	for name, c := range g.Collections {
		if c.enabled() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func (c *Config) validateGroupIB(p *problems) {
	g := c.GroupIB
	if u, err := url.Parse(g.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.add("groupib.url", "%q is not an http(s) URL", g.URL)
	}
	if g.Proxy != "" {
		if u, err := url.Parse(g.Proxy); err != nil || u.Host == "" {
			p.add("groupib.proxy", "is not a URL such as http://user:pass@proxy:3128")
		}
	}
	if g.Timeout <= 0 {
		p.add("groupib.timeout", "must be a positive duration")
	}
	if g.RateLimit <= 0 || g.Burst < 1 {
		p.add("groupib.rate_limit", "rate_limit must be positive and burst at least 1")
	}
	if l := g.Lookup; l.Budget < 0 || l.Budget >= g.RateLimit && g.RateLimit > 0 || l.Burst < 2 {
		p.add("groupib.lookup.budget", "must be below rate_limit (%g), so that ingest keeps part of the quota, with burst at least 2 "+
			"(a lookup asks about at most burst-1 collections)", g.RateLimit)
	}
	if l := g.Lookup; l.CacheTTL < 0 || l.MaxItems < 1 || l.MaxItems > 1000 {
		p.add("groupib.lookup", "cache_ttl must not be negative, max_items from 1 to 1000")
	}
	for name, gc := range g.Collections {
		key := "groupib.collections[" + name + "]"
		switch {
		case gc.Limit < 0 || gc.Limit > 5000:
			p.add(key+".limit", "must be between 1 and 5000")
		case gc.Lookback < 0:
			p.add(key+".lookback", "must be positive")
		case gc.PollInterval != 0 && gc.PollInterval < 10*time.Second:
			p.add(key+".poll_interval", "must be at least 10s")
		}
	}
	c.validateSources(p)
}

// validateSources checks that every TAXII collection is fed by enabled
// Group-IB collections only, and that every enabled collection feeds one:
// polling a collection nobody receives would use up its feed for nothing.
func (c *Config) validateSources(p *problems) {
	fed := map[string]bool{}
	for i, r := range c.TAXII.APIRoots {
		for j, coll := range r.Collections {
			for _, src := range coll.Sources {
				fed[src] = true
				if gc, ok := c.GroupIB.Collections[src]; !ok || !gc.enabled() {
					p.add(fmt.Sprintf("taxii.api_roots[%d].collections[%d].sources", i, j),
						"%q is not an enabled collection under groupib.collections%s", src,
						didYouMean(src, c.GroupIB.enabledCollections()))
				}
			}
		}
	}
	for _, name := range c.GroupIB.enabledCollections() {
		if !fed[name] {
			p.add("groupib.collections["+name+"]", "no TAXII collection lists it in sources: add it to one, or set enabled: false")
		}
	}
}

// ingestCollections turns the config into the runner's collection list,
// with each collection's routes to TAXII collections.
func (c Config) ingestCollections() []ingest.CollectionConfig {
	var out []ingest.CollectionConfig
	for _, name := range c.GroupIB.enabledCollections() {
		gc := c.GroupIB.Collections[name]
		ic := ingest.CollectionConfig{Name: name, Search: ingest.SearchOnly(name), Lookback: gc.Lookback,
			PollInterval: gc.PollInterval, Limit: gc.Limit, Params: url.Values{}}
		for k, v := range gc.Params {
			ic.Params.Set(k, v)
		}
		for _, r := range c.TAXII.APIRoots {
			for _, coll := range r.Collections {
				for _, src := range coll.Sources {
					if src == name {
						ic.Routes = append(ic.Routes, ingest.Route{Collection: coll.ID, Types: typeSet(coll.Types)})
					}
				}
			}
		}
		out = append(out, ic)
	}
	return out
}

func typeSet(types []string) map[string]bool {
	if len(types) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, t := range types {
		m[t] = true
	}
	return m
}
