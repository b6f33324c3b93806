package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// Target is the collection under load.
type Target struct {
	Discovery string `json:"discovery,omitempty"` // empty when given by URL
	APIRoot   string `json:"api_root,omitempty"`
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	URL       string `json:"url"` // ends in "/"
}

type collectionInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Alias   string `json:"alias"`
	CanRead bool   `json:"can_read"`
}

// maxResource bounds a discovery or collections response.
const maxResource = 16 << 20

// discover finds the collection to load: GET discovery, then the API
// roots' collections, as a TAXII client does.
func discover(ctx context.Context, hc *http.Client, cfg Config) (Target, error) {
	if isURL(cfg.Collection) {
		u := strings.TrimSuffix(cfg.Collection, "/") + "/"
		return Target{ID: path.Base(u), URL: u}, nil
	}
	var disc struct {
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}
	if err := getJSON(ctx, hc, cfg, cfg.URL, &disc); err != nil {
		return Target{}, fmt.Errorf("discovery: %w", err)
	}
	roots, err := rootOrder(cfg.URL, disc.Default, disc.APIRoots)
	if err != nil {
		return Target{}, fmt.Errorf("discovery: %w", err)
	}
	var seen []string
	for i, root := range roots {
		if cfg.Collection == "" && i > 0 {
			break // the default, else the first API root, only
		}
		colls, err := collections(ctx, hc, cfg, root)
		if err != nil {
			return Target{}, err
		}
		for _, c := range colls {
			if cfg.Collection == "" && c.CanRead || cfg.Collection != "" && c.is(cfg.Collection) {
				return c.target(cfg.URL, root)
			}
			seen = append(seen, fmt.Sprintf("%s (%s)", c.ID, c.Title))
		}
	}
	if cfg.Collection == "" {
		return Target{}, fmt.Errorf("no readable collection in API root %s: this user may read none", roots[0])
	}
	return Target{}, fmt.Errorf("no collection has id, alias or title %q; there are: %s",
		cfg.Collection, strings.Join(seen, ", "))
}

func (c collectionInfo) is(name string) bool {
	return c.ID == name || c.Alias != "" && c.Alias == name || c.Title == name
}

func (c collectionInfo) target(discovery, root string) (Target, error) {
	if !c.CanRead {
		return Target{}, fmt.Errorf("collection %s (%s) has can_read false for this user", c.ID, c.Title)
	}
	return Target{Discovery: discovery, APIRoot: root, ID: c.ID, Title: c.Title,
		URL: root + "collections/" + url.PathEscape(c.ID) + "/"}, nil
}

// rootOrder resolves the API roots (relative ones against the discovery
// URL, as taxii2client does) and puts the default first.
func rootOrder(discovery, def string, roots []string) ([]string, error) {
	base, err := url.Parse(discovery)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range append([]string{def}, roots...) {
		if r == "" {
			continue
		}
		ref, err := url.Parse(r)
		if err != nil {
			return nil, fmt.Errorf("API root %q: %w", r, err)
		}
		abs := strings.TrimSuffix(base.ResolveReference(ref).String(), "/") + "/"
		if !slices.Contains(out, abs) {
			out = append(out, abs)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("it lists no API roots")
	}
	return out, nil
}

func collections(ctx context.Context, hc *http.Client, cfg Config, root string) ([]collectionInfo, error) {
	var res struct {
		Collections []collectionInfo `json:"collections"`
	}
	if err := getJSON(ctx, hc, cfg, root+"collections/", &res); err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	return res.Collections, nil
}

// getJSON GETs a TAXII resource, bounded by the request timeout.
func getJSON(ctx context.Context, hc *http.Client, cfg Config, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := newRequest(ctx, cfg, u)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body := io.LimitReader(res.Body, maxResource)
	if res.StatusCode != http.StatusOK {
		head, _ := io.ReadAll(io.LimitReader(body, 200))
		return fmt.Errorf("GET %s: %s %s", u, res.Status, strings.Join(strings.Fields(string(head)), " "))
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
