package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/storage/pgstore"
)

// servedStore is what serve and the commands need of either backend;
// what only the bbolt file has (its page check, backups, holding writes
// until checked) is asked of it by type.
type servedStore interface {
	storage.Store
	MaxLimit() int
	// Fault reports damage found in the store (bbolt's); nil otherwise.
	Fault() error
}

var (
	_ servedStore = (*boltstore.Store)(nil)
	_ servedStore = (*pgstore.Store)(nil)
)

// openStore opens the configured store (the bbolt file, or PostgreSQL
// when storage.postgres.url is set) and fills in the ids of collections
// configured without one: generated once, kept in the store. A collection
// renamed since its id was generated is refused (see checkRenames): a new
// id would orphan its data and the id clients use. log hears of a
// migration of the file to this release's layout.
func openStore(cfg *Config, log *slog.Logger) (servedStore, error) {
	ctx := context.Background()
	var store servedStore
	var err error
	if url := cfg.Storage.Postgres.URL; url != "" {
		store, err = pgstore.Open(ctx, url, pgstore.Options{MaxLimit: cfg.TAXII.PageSize.Max, ReadURL: cfg.Storage.Postgres.ReadURL})
	} else {
		store, err = boltstore.Open(cfg.Storage.Path, boltstore.Options{MaxLimit: cfg.TAXII.PageSize.Max, Logger: log.With("component", "store")})
	}
	if err != nil {
		return nil, err
	}
	if err := checkRenames(ctx, store, cfg); err != nil {
		_ = store.Close()
		return nil, err
	}
	for i := range cfg.TAXII.APIRoots {
		r := &cfg.TAXII.APIRoots[i]
		for j := range r.Collections {
			c := &r.Collections[j]
			if c.ID != "" {
				continue
			}
			if c.ID, err = store.CollectionID(ctx, generatedIDKey(r.Path, *c)); err != nil {
				_ = store.Close()
				return nil, err
			}
		}
	}
	return store, nil
}

// generatedIDKey is what a generated collection id is kept under.
func generatedIDKey(root string, c collectionConfig) string {
	name := c.Alias
	if name == "" {
		name = c.Title
	}
	return root + "/" + name
}

// checkRenames refuses to generate an id for a collection while the store
// holds data under a generated id the configuration no longer names: that
// is what renaming an alias (or title) looks like, and a fresh id would
// leave the data behind and answer 404 to every client holding the old one.
func checkRenames(ctx context.Context, store storage.Store, cfg *Config) error {
	stored, err := store.CollectionIDs(ctx)
	if err != nil {
		return err
	}
	named, explicit := map[string]bool{}, map[string]bool{}
	var fresh []string
	for _, r := range cfg.TAXII.APIRoots {
		for _, c := range r.Collections {
			key := generatedIDKey(r.Path, c)
			named[key], explicit[c.ID] = true, c.ID != ""
			if _, ok := stored[key]; !ok && c.ID == "" {
				fresh = append(fresh, key)
			}
		}
	}
	var p problems
	for _, r := range cfg.TAXII.APIRoots {
		for _, c := range r.Collections {
			// A rename carried over with "id:" leaves the old key behind:
			// a new collection under the old name must not get that id too.
			if id, ok := stored[generatedIDKey(r.Path, c)]; ok && c.ID == "" && explicit[id] {
				p.add("taxii.api_roots", "%q would get id %s, which another collection now has explicitly (a rename carried "+
					"over): give %q an id of its own (any UUIDv4)", generatedIDKey(r.Path, c), id, generatedIDKey(r.Path, c))
			}
		}
	}
	for _, key := range sortedKeys(stored) {
		id := stored[key]
		if named[key] || explicit[id] || len(fresh) == 0 {
			continue
		}
		page, err := store.Records(ctx, storage.Query{Collection: id, Limit: 1, WithoutObjects: true})
		if err != nil {
			return err
		}
		if len(page.Records) > 0 {
			p.add("taxii.api_roots", "the store holds collection %q (id %s) that this configuration no longer names, and would "+
				"give %s a new id: if you renamed it, write \"id: %s\" under it to keep its data and the id clients use; "+
				"if it is a new collection, give it an id of its own (any UUIDv4) so that this is not a rename",
				key, id, strings.Join(fresh, ", "), id)
		}
	}
	return p.err()
}

// pageCheck runs bbolt's page check (about 1.5 s per million objects):
// a read of a damaged file could silently leave objects out. Other
// backends own their integrity: nothing to check here.
func pageCheck(ctx context.Context, store servedStore) (boltstore.CheckReport, bool, error) {
	bs, ok := store.(*boltstore.Store)
	if !ok {
		return boltstore.CheckReport{}, false, nil
	}
	rep, err := bs.Check(ctx, boltstore.CheckOptions{SkipInvariants: true})
	return rep, true, err
}
