package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gib-taxii/gib-taxii/mapping"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
)

func runExport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "export", "--config FILE --collection ID_OR_ALIAS [--added-after T] [--type T,...] [--all-versions] [-o FILE]")
	configPath := fs.String("config", "", "YAML config file (required)")
	collection := fs.String("collection", "", "collection id or alias (required)")
	addedAfter := fs.String("added-after", "", "only objects added after this RFC 3339 time")
	types := fs.String("type", "", "only these STIX types, comma-separated")
	all := fs.Bool("all-versions", false, "every version, not only the latest of each object")
	out := fs.String("o", "-", "output file; - is standard output")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *configPath == "" || *collection == "" {
		fs.Usage()
		return errors.New("export: --config and --collection are required")
	}
	store, coll, err := openCollection(e, *configPath, *collection)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer store.Close()
	q := storage.Query{Collection: coll.ID, Versions: storage.Versions{Last: !*all, All: *all}}
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		} else if !mapping.KnownType(t) {
			return fmt.Errorf("export: --type: %q is not a STIX 2.1 object type%s", t, didYouMean(t, mapping.KnownTypes()))
		}
		q.Types = append(q.Types, strings.TrimSpace(t))
	}
	if *addedAfter != "" {
		if q.AddedAfter, err = storage.ParseTimestamp(*addedAfter); err != nil {
			return fmt.Errorf("export: --added-after: %w", err)
		}
	}
	// An export reads only some pages: from a damaged file it could
	// silently leave objects out. The page check (about 1.5 s per million
	// objects) first.
	if rep, _, err := pageCheck(ctx, store); err != nil {
		return fmt.Errorf("export: %w", err)
	} else if !rep.OK() {
		return fmt.Errorf("export: %w", store.Fault())
	}
	return writeExport(ctx, e, store, q, *out)
}

// recordReader is what export needs of the store.
type recordReader interface {
	Records(ctx context.Context, q storage.Query) (storage.Page, error)
}

func writeExport(ctx context.Context, e env, store recordReader, q storage.Query, out string) error {
	n := 0
	err := writeOutput(e, out, func(w io.Writer) (err error) {
		n, err = exportBundle(ctx, store, q, w)
		return err
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if out == "-" {
		fmt.Fprintf(e.stderr, "exported %d objects\n", n)
	} else {
		fmt.Fprintf(e.stderr, "exported %d objects to %s\n", n, out)
	}
	return nil
}

// writeOutput writes to standard output ("-") or to the file out, through
// a temporary file renamed at the end: a failed write never leaves a
// partial file, nor truncates an earlier one.
func writeOutput(e env, out string, write func(io.Writer) error) error {
	if out == "-" {
		return write(e.stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	return err
}

// exportBundle streams a STIX 2.1 bundle of the query's records, one store
// page at a time, so that memory stays bounded whatever the collection's
// size. Objects are written as stored.
func exportBundle(ctx context.Context, store recordReader, q storage.Query, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid.New())
	n := 0
	for {
		page, err := store.Records(ctx, q)
		if err != nil {
			return n, err
		}
		for _, r := range page.Records {
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n")
			bw.Write(r.JSON)
			n++
		}
		if !page.More {
			break
		}
		q.Resume = page.Next
	}
	bw.WriteString("\n]}\n")
	return n, bw.Flush()
}
