package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/lookup"
	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
)

// runLookup asks Group-IB about one value (or one item) now, and prints
// what it knows as a STIX 2.1 bundle or a summary.
func runLookup(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "lookup", "--config FILE [--max-items N] [--format bundle|table] [-o FILE] [--store COLLECTION] QUERY | --collection C --id ID")
	configPath := fs.String("config", "", "YAML config file (required: the Group-IB credentials and mapping)")
	maxItems := fs.Int("max-items", 10, "items fetched per collection")
	format := fs.String("format", "bundle", "bundle (STIX 2.1) or table (a summary)")
	out := fs.String("o", "-", "output file; - is standard output")
	collection := fs.String("collection", "", "with --id: the Group-IB collection of one item")
	id := fs.String("id", "", "with --collection: the id of one item")
	keep := fs.String("store", "", "also add what was found to this TAXII collection (id or alias), as ingest would; serve must not be running")
	if err := fs.Parse(args); err != nil {
		return err
	}
	query := strings.Join(fs.Args(), " ")
	one := *collection != "" || *id != ""
	switch {
	case *configPath == "":
		fs.Usage()
		return errors.New("lookup: --config is required")
	case one && (*collection == "" || *id == "" || query != ""):
		fs.Usage()
		return errors.New("lookup: --collection and --id go together, without a query")
	case !one && strings.TrimSpace(query) == "":
		fs.Usage()
		return errors.New("lookup: a query is required (a value such as 8.8.8.8, or field: \"value\" AND ...)")
	case *format != "bundle" && *format != "table":
		return fmt.Errorf("lookup: --format %q: bundle or table", *format)
	case *maxItems < 1 || *maxItems > 1000:
		return errors.New("lookup: --max-items from 1 to 1000")
	}
	cfg, err := loadConfig(*configPath, e.getenv)
	if err != nil {
		return err
	}
	if !cfg.GroupIB.hasCredentials() {
		return errors.New("lookup: Group-IB credentials are required (groupib.username and api_key, or GIB_USERNAME and GIB_API_KEY)")
	}
	engine, err := loadCheckedMappings(cfg)
	if err != nil {
		return err
	}
	client, err := groupIBClient(cfg, newLogger(e.stderr, cfg.Log))
	if err != nil {
		return err
	}
	cfg.GroupIB.Lookup.MaxItems = *maxItems
	// One command, one answer: it may wait for its budget, as a person
	// at a terminal would rather wait than be told to.
	svc, err := newLookupService(cfg, client, engine, time.Minute)
	if err != nil {
		return err
	}
	// The store first: if serve holds it, say so before any quota is spent.
	var keepTo func([]storage.Object) error
	if *keep != "" {
		store, coll, err := openCollection(e, *configPath, *keep)
		if err != nil {
			return fmt.Errorf("lookup: --store %s: %w", *keep, err)
		}
		defer store.Close()
		keepTo = func(found []storage.Object) error { return keepFound(e, store, coll, found) }
	}
	var res lookup.Result
	if one {
		res, err = svc.Item(ctx, *collection, *id)
	} else {
		res, err = svc.Lookup(ctx, query)
	}
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	if keepTo != nil {
		if err := keepTo(res.Objects); err != nil {
			return fmt.Errorf("lookup: --store %s: %w", *keep, err)
		}
	}
	return writeOutput(e, *out, func(w io.Writer) error {
		if *format == "table" {
			return writeLookupTable(w, res)
		}
		return writeLookupBundle(w, res)
	})
}

// keepFound commits the objects found to a collection in one transaction,
// keeping the types it takes, and says how many versions were new.
func keepFound(e env, store storage.Store, coll collectionConfig, found []storage.Object) error {
	var objs []storage.Object
	for _, o := range found {
		if len(coll.Types) == 0 || slices.Contains(coll.Types, o.Type) {
			objs = append(objs, o)
		}
	}
	res, err := store.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: coll.ID, Objects: objs}}})
	if err != nil {
		return err
	}
	name := coll.Alias
	if name == "" {
		name = coll.ID
	}
	fmt.Fprintf(e.stderr, "stored %d new object versions in %s (%d were there already)\n", res.Added, name, res.Unchanged)
	return nil
}

// newLookupService builds the lookup service of the configuration on a
// Group-IB client; maxWait is how long a lookup may wait for its budget.
func newLookupService(cfg Config, client *ingest.Client, engine *mapping.Engine, maxWait time.Duration) (*lookup.Service, error) {
	l := cfg.GroupIB.Lookup
	return lookup.New(lookup.Config{Upstream: ingest.LookupUpstream{Client: client}, Mapper: engine,
		MaxItems: l.MaxItems, CacheTTL: l.CacheTTL, Budget: cfg.GroupIB.lookupBudget(), Burst: l.Burst, MaxWait: maxWait})
}

// groupIBClient builds the Group-IB API client of the configuration.
func groupIBClient(cfg Config, log *slog.Logger) (*ingest.Client, error) {
	g := cfg.GroupIB
	return ingest.NewClient(ingest.ClientConfig{
		BaseURL: g.URL, Username: g.Username, APIKey: g.APIKey, Proxy: g.Proxy, Timeout: g.Timeout,
		UserAgent: "gib-taxii/" + version(), RateLimit: g.RateLimit, Burst: g.Burst,
		Logger: log.With("component", "groupib"),
	})
}

// writeLookupBundle writes the objects found as a STIX 2.1 bundle.
func writeLookupBundle(w io.Writer, res lookup.Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.New())
	for i, o := range res.Objects {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(o.JSON)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// writeLookupTable writes a summary: per collection the matches and what
// was fetched, then one line per object.
func writeLookupTable(w io.Writer, res lookup.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "query\t%s\n\n", res.Query)
	fmt.Fprintf(tw, "COLLECTION\tMATCHES\tFETCHED\tOBJECTS\tSKIPPED\n")
	for _, c := range res.Collections {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", c.Collection, c.Matches, c.Fetched, c.Objects, strings.Join(c.Skipped, "; "))
	}
	if len(res.Collections) == 0 {
		fmt.Fprintf(tw, "(no collection holds a match)\n")
	}
	fmt.Fprintf(tw, "\nTYPE\tID\tNAME\n")
	for _, o := range res.Objects {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", o.Type, o.ID, objectName(o.JSON))
	}
	return tw.Flush()
}

// objectName is what a person reads an object by: its name, value or
// pattern.
func objectName(raw []byte) string {
	var o struct{ Name, Value, Pattern string }
	_ = json.Unmarshal(raw, &o)
	for _, s := range []string{o.Name, o.Value, o.Pattern} {
		if s != "" {
			return clip(s, 80)
		}
	}
	return ""
}
