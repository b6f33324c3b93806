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

// lookupFlags are gib-taxii lookup's command line.
type lookupFlags struct {
	configPath, format, out, collection, id, keep, query string
	maxItems                                             int
}

// one reports a lookup of one item by collection and id.
func (f lookupFlags) one() bool { return f.collection != "" || f.id != "" }

func parseLookupFlags(e env, args []string) (lookupFlags, error) {
	fs := newFlags(e, "lookup", "--config FILE [--max-items N] [--format bundle|table] [-o FILE] [--store COLLECTION] QUERY | --collection C --id ID")
	var f lookupFlags
	fs.StringVar(&f.configPath, "config", "", "YAML config file (required: the Group-IB credentials and mapping)")
	fs.IntVar(&f.maxItems, "max-items", 10, "items fetched per collection")
	fs.StringVar(&f.format, "format", "bundle", "bundle (STIX 2.1) or table (a summary)")
	fs.StringVar(&f.out, "o", "-", "output file; - is standard output")
	fs.StringVar(&f.collection, "collection", "", "with --id: the Group-IB collection of one item")
	fs.StringVar(&f.id, "id", "", "with --collection: the id of one item")
	fs.StringVar(&f.keep, "store", "", "also add what was found to this TAXII collection (id or alias), as ingest would; serve must not be running")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	f.query = strings.Join(fs.Args(), " ")
	switch {
	case f.configPath == "":
		fs.Usage()
		return f, errors.New("lookup: --config is required")
	case f.one() && (f.collection == "" || f.id == "" || f.query != ""):
		fs.Usage()
		return f, errors.New("lookup: --collection and --id go together, without a query")
	case !f.one() && strings.TrimSpace(f.query) == "":
		fs.Usage()
		return f, errors.New("lookup: a query is required (a value such as 8.8.8.8, or field: \"value\" AND ...)")
	case f.format != "bundle" && f.format != "table":
		return f, fmt.Errorf("lookup: --format %q: bundle or table", f.format)
	case f.maxItems < 1 || f.maxItems > 1000:
		return f, errors.New("lookup: --max-items from 1 to 1000")
	}
	return f, nil
}

// runLookup asks Group-IB about one value (or one item) now, and prints
// what it knows as a STIX 2.1 bundle or a summary.
func runLookup(ctx context.Context, e env, args []string) error {
	f, err := parseLookupFlags(e, args)
	if err != nil {
		return err
	}
	svc, err := lookupCommandService(e, f)
	if err != nil {
		return err
	}
	// The store first: if serve holds it, say so before any quota is spent.
	var keepTo func([]storage.Object) error
	if f.keep != "" {
		store, coll, err := openCollection(e, f.configPath, f.keep)
		if err != nil {
			return fmt.Errorf("lookup: --store %s: %w", f.keep, err)
		}
		defer store.Close()
		keepTo = func(found []storage.Object) error { return keepFound(e, store, coll, found) }
	}
	var res lookup.Result
	if f.one() {
		res, err = svc.Item(ctx, f.collection, f.id)
	} else {
		res, err = svc.Lookup(ctx, f.query)
	}
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	if keepTo != nil {
		if err := keepTo(res.Objects); err != nil {
			return fmt.Errorf("lookup: --store %s: %w", f.keep, err)
		}
	}
	return writeOutput(e, f.out, func(w io.Writer) error {
		if f.format == "table" {
			return writeLookupTable(w, res)
		}
		return writeLookupBundle(w, res)
	})
}

// lookupCommandService builds the command's lookup service from the
// config: it may wait for its budget, as a person at a terminal would
// rather wait than be told to.
func lookupCommandService(e env, f lookupFlags) (*lookup.Service, error) {
	cfg, err := loadConfig(f.configPath, e.getenv)
	if err != nil {
		return nil, err
	}
	if !cfg.GroupIB.hasCredentials() {
		return nil, errors.New("lookup: Group-IB credentials are required (groupib.username and api_key, or GIB_USERNAME and GIB_API_KEY)")
	}
	engine, err := loadCheckedMappings(cfg)
	if err != nil {
		return nil, err
	}
	client, err := groupIBClient(cfg, newLogger(e.stderr, cfg.Log))
	if err != nil {
		return nil, err
	}
	cfg.GroupIB.Lookup.MaxItems = f.maxItems
	return newLookupService(cfg, client, engine, time.Minute)
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
