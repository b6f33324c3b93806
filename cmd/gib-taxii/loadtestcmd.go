package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/gib-taxii/gib-taxii/loadtest"
)

// runLoadtest drives load at any TAXII 2.1 server and prints what it
// measured. The run ending (duration, requests, ctrl-C) is success; so are
// failed requests, which the report counts. Duplicates or gaps found in
// walks are not: they fail the command, after the report, for scripts.
func runLoadtest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "loadtest", "--url DISCOVERY_URL [--user NAME] [--collection ID_OR_TITLE] [--mode first|walk] [--clients N] [--duration D] [--requests N] [--limit L] [--filters QUERY] [--json]")
	var cfg loadtest.Config
	fs.StringVar(&cfg.URL, "url", "", "TAXII 2.1 discovery URL, e.g. https://taxii.example.com/taxii2/ (required unless --collection is a URL)")
	fs.StringVar(&cfg.User, "user", "", "HTTP Basic user name")
	fs.StringVar(&cfg.Password, "password", "", "HTTP Basic password (default: $GIB_TAXII_PASSWORD, which keeps it off the command line)")
	fs.StringVar(&cfg.Collection, "collection", "", "collection id, alias, title, or URL (which skips discovery); default: the first readable collection of the default API root")
	mode := fs.String("mode", "first", "first: every client fetches the first page again and again; walk: each pages through the whole collection by next, then starts again, checking for duplicates and gaps")
	fs.IntVar(&cfg.Clients, "clients", 1, "concurrent clients, each one request at a time")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to run")
	fs.Int64Var(&cfg.Requests, "requests", 0, "stop after this many requests, all clients together (0: no limit; --duration still applies)")
	fs.IntVar(&cfg.Limit, "limit", 1000, "the limit parameter of each request")
	fs.StringVar(&cfg.Filters, "filters", "", "query string sent with every request, e.g. 'match[type]=indicator&added_after=2026-01-01T00:00:00Z'")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per request")
	caFile := fs.String("ca-file", "", "PEM certificates to trust for HTTPS")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg.Mode = loadtest.Mode(*mode)
	if err := checkLoadtestFlags(cfg); err != nil {
		fs.Usage()
		return fmt.Errorf("loadtest: %w", err)
	}
	if cfg.Password == "" {
		cfg.Password = e.getenv("GIB_TAXII_PASSWORD")
	}
	tlsCfg, err := loadtestTLS(*caFile, *insecure)
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	cfg.TLS = tlsCfg
	report, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		err = report.WriteJSON(e.stdout)
	} else {
		err = report.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	if w := report.Walks; w != nil && (w.Duplicates > 0 || w.Gaps > 0) {
		return fmt.Errorf("loadtest: the walks found %d duplicates and %d gaps", w.Duplicates, w.Gaps)
	}
	return nil
}

// checkLoadtestFlags refuses values that loadtest.Config would read as
// "the default": a flag given is meant as written.
func checkLoadtestFlags(cfg loadtest.Config) error {
	switch {
	case cfg.URL == "" && cfg.Collection == "":
		return errors.New("--url is required")
	case cfg.Clients < 1:
		return errors.New("--clients must be at least 1")
	case cfg.Duration <= 0 || cfg.Timeout <= 0:
		return errors.New("--duration and --timeout must be positive")
	case cfg.Limit < 1:
		return errors.New("--limit must be at least 1")
	case cfg.Requests < 0:
		return errors.New("--requests cannot be negative")
	case cfg.Mode != loadtest.First && cfg.Mode != loadtest.Walk:
		return fmt.Errorf("--mode %q: want first or walk", cfg.Mode)
	}
	return nil
}

func loadtestTLS(caFile string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // asked for
	if caFile != "" {
		pool, err := caPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
