package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/taxii"
)

// importBatch is the number of objects committed per transaction: bbolt
// wants transactions of about a thousand keys.
const importBatch = 1000

func runImport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "import", "--config FILE --collection ID_OR_ALIAS FILE.json")
	configPath := fs.String("config", "", "YAML config file (required)")
	collection := fs.String("collection", "", "collection id or alias (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath == "" || *collection == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("import: --config, --collection and one file are required")
	}
	store, coll, err := openCollection(e, *configPath, *collection)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer store.Close()
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	sum, err := importObjects(ctx, store, coll, f, e.stderr)
	fmt.Fprintf(e.stdout, "collection %s (%s): %d added, %d already present, %d skipped as invalid\n",
		coll.ID, coll.Title, sum.Added, sum.Unchanged, sum.skipped)
	if err != nil {
		return fmt.Errorf("import %s: %w", fs.Arg(0), err)
	}
	return nil
}

type importSummary struct {
	storage.CommitResult
	skipped int
}

// committer is what import needs of the store.
type committer interface {
	Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error)
}

// importObjects stores the valid objects of a bundle or envelope in
// batches, reporting each refused one on report (with its id and why) and
// skipping it: an object the mapping's own validation refuses, or of a
// type the collection does not take.
func importObjects(ctx context.Context, store committer, coll collectionConfig, r io.Reader, report io.Writer) (importSummary, error) {
	collection := coll.ID
	var sum importSummary
	var batch []storage.Object
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := store.Commit(ctx, storage.Batch{Writes: []storage.Write{{Collection: collection, Objects: batch}}})
		sum.Added += res.Added
		sum.Unchanged += res.Unchanged
		batch = batch[:0]
		return err
	}
	err := storage.DecodeObjects(r, func(i int, raw json.RawMessage) error {
		obj, err := acceptObject(raw, coll.Types)
		if err != nil {
			sum.skipped++
			fmt.Fprintf(report, "objects[%d] %s: skipped: %v\n", i, idOf(raw), err)
			return nil
		}
		batch = append(batch, obj)
		if len(batch) == importBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	return sum, flush()
}

// acceptObject is the one check of objects that do not come from the
// mapping: imported, and added by TAXII clients. The mapping's own
// validation (properties, ids, timestamps, vocabularies, patterns), then
// storage's parse and the collection's types, as the TAXII server does.
func acceptObject(raw []byte, types []string) (storage.Object, error) {
	if err := mapping.ValidateObject(raw); err != nil {
		return storage.Object{}, err
	}
	return taxii.ParseForCollection(raw, types)
}

// idOf is the id an object claims, for reports, or "(no id)".
func idOf(raw json.RawMessage) string {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil || head.ID == "" {
		return "(no id)"
	}
	return clip(head.ID, 100)
}

// clip cuts a text shown to an operator to n bytes: a summary is enough.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// openCollection loads the config, opens the store (which fills in
// generated collection ids) and finds a collection by id or alias.
func openCollection(e env, configPath, idOrAlias string) (servedStore, collectionConfig, error) {
	cfg, err := loadConfig(configPath, e.getenv)
	if err != nil {
		return nil, collectionConfig{}, err
	}
	store, err := openStore(&cfg, newLogger(e.stderr, cfg.Log))
	if err != nil {
		return nil, collectionConfig{}, err
	}
	coll, err := cfg.TAXII.resolveCollection(idOrAlias)
	if err != nil {
		_ = store.Close()
		return nil, collectionConfig{}, err
	}
	return store, coll, nil
}
