package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
)

func runStatus(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "status", "--config FILE")
	configPath := fs.String("config", "", "YAML config file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath == "" {
		fs.Usage()
		return errors.New("status: --config is required")
	}
	cfg, err := loadConfig(*configPath, e.getenv)
	if err != nil {
		return err
	}
	store, err := openStore(&cfg)
	if err != nil {
		return fmt.Errorf("status: %w (status reads the store file; stop serve first)", err)
	}
	defer store.Close()
	return printStatus(ctx, e, cfg, store)
}

// printStatus writes the TAXII collections and each Group-IB collection's
// ingest state.
func printStatus(ctx context.Context, e env, cfg Config, store ingest.Store) error {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TAXII COLLECTION\tID\tURL")
	for _, r := range cfg.TAXII.APIRoots {
		for _, c := range r.Collections {
			fmt.Fprintf(w, "%s\t%s\t%s/%s/collections/%s/\n", c.Title, c.ID, cfg.TAXII.ExternalURL, r.Path, c.ID)
		}
	}
	fmt.Fprintln(w, "\nGROUP-IB COLLECTION\tPOSITION\tQUEUED\tITEMS\tOBJECTS\tSKIPPED\tLAST SUCCESS\tERRORS\tLAST ERROR")
	for _, name := range cfg.GroupIB.enabledCollections() {
		st, err := ingest.LoadState(ctx, store, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%s\n", name, position(st), st.Queued, st.Items, st.Objects,
			st.Skipped, ago(st.LastSuccess), st.ConsecutiveErrors, lastError(st))
	}
	return w.Flush()
}

func position(st ingest.State) string {
	switch {
	case st.SeqUpdate != nil:
		return fmt.Sprintf("seqUpdate %d", *st.SeqUpdate)
	case st.Checkpoint != nil:
		return "since " + st.Checkpoint.Format(time.RFC3339)
	}
	return "not started"
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func lastError(st ingest.State) string {
	if st.Stopped != "" {
		return "STOPPED: " + st.Stopped
	}
	return st.LastError
}
