package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/ops"
	"github.com/gib-taxii/gib-taxii/storage"
)

func runStatus(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "status", "--config FILE")
	configPath := fs.String("config", "", "YAML config file (required)")
	if err := parseNoArgs(fs, args); err != nil {
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
	store, err := openStore(&cfg, newLogger(e.stderr, cfg.Log))
	if errors.Is(err, storage.ErrLocked) {
		// serve holds the file: ask it instead.
		return remoteStatus(ctx, e, cfg)
	}
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer store.Close()
	if err := printStatus(ctx, e, cfg, store); err != nil {
		return err
	}
	return printStoreCheck(ctx, e, store)
}

// printStoreCheck runs the page check (about 1.5 s per million
// objects) so that status never calls a damaged file healthy; the full
// check is "gib-taxii check".
func printStoreCheck(ctx context.Context, e env, store servedStore) error {
	rep, checked, err := pageCheck(ctx, store)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if !checked {
		fmt.Fprintln(e.stdout, "\nstore: PostgreSQL (its server checks its own pages)")
		return nil
	}
	if !rep.OK() {
		fmt.Fprintf(e.stdout, "\nstore: DAMAGED (%d problems)\n", rep.Total)
		for _, p := range rep.Problems[:min(len(rep.Problems), 5)] {
			fmt.Fprintln(e.stdout, "  "+p)
		}
		return fmt.Errorf("status: %w", store.Fault())
	}
	fmt.Fprintf(e.stdout, "\nstore: pages ok (checked in %s; run \"gib-taxii check\" for indexes and objects)\n",
		rep.Duration.Round(time.Millisecond))
	return nil
}

func printCollections(w io.Writer, colls []servedCollection) {
	fmt.Fprintln(w, "TAXII COLLECTION\tID\tURL")
	for _, c := range colls {
		fmt.Fprintf(w, "%s\t%s\t%s\n", c.Title, c.ID, c.URL)
	}
}

// remoteStatus prints the ingest health the running server reports on
// /readyz, for when serve holds the store file.
func remoteStatus(ctx context.Context, e env, cfg Config) error {
	if cfg.Ops.Listen == "off" {
		return errors.New("status: serve holds the store and ops.listen is off: turn it on to see the running server's state")
	}
	base := "http://" + reachable(cfg.Ops.Listen)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var colls []servedCollection
	if err := getJSON(ctx, base+"/collections", &colls); err != nil {
		return err
	}
	var ready struct {
		Status      string
		Store       string
		Collections map[string]ops.CollectionHealth
	}
	if err := getJSON(ctx, base+"/readyz", &ready); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "serve is running (%s/readyz): %s, store %s\n\n", base, ready.Status, ready.Store)
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	printCollections(w, colls)
	fmt.Fprintln(w, "\nGROUP-IB COLLECTION\tSTATUS\tQUEUED\tLAST SUCCESS\tERRORS\tREASON")
	for _, n := range sortedKeys(ready.Collections) {
		c := ready.Collections[n]
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%d\t%s\n", n, c.Status, c.Queued, ago(c.LastSuccess), c.Errors, c.Reason)
	}
	return w.Flush()
}

// getJSON decodes what the operations listener answers at u; /readyz
// answers JSON with 503 too.
func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("status: the store is in use and %s does not answer: %w", u, err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return fmt.Errorf("status: %s: %w", u, err)
	}
	return nil
}

// printStatus writes the TAXII collections and each Group-IB collection's
// ingest state.
func printStatus(ctx context.Context, e env, cfg Config, store ingest.Store) error {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	printCollections(w, servedCollections(cfg))
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
