package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", "--config FILE")
	configPath := fs.String("config", "", "YAML config file (required)")
	logFormat := fs.String("log-format", "", "json or text (overrides log.format)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *configPath == "" {
		fs.Usage()
		return errors.New("serve: --config is required (see config.example.yaml)")
	}
	cfg, err := loadConfig(*configPath, e.getenv)
	if err != nil {
		return err
	}
	if err := cfg.pollCredentials(); err != nil {
		return err
	}
	if *logFormat != "" {
		cfg.Log.Format = *logFormat
		if err := cfg.validate(); err != nil {
			return err
		}
	}
	log := newLogger(e.stderr, cfg.Log)
	if !strings.HasPrefix(cfg.TAXII.ExternalURL, "https://") {
		// Checklist items 1 and 33: TAXII 2.1 API roots are HTTPS URLs.
		log.Warn("discovery advertises a plain-HTTP URL; TAXII 2.1 requires HTTPS: set taxii.tls, or terminate TLS at a proxy and set taxii.external_url to its https:// URL",
			"external_url", cfg.TAXII.ExternalURL)
	}
	return serve(ctx, cfg, log, nil)
}

// serve runs the app until ctx ends; the store closes last. ready, if not
// nil, is called once the listener is bound.
func serve(ctx context.Context, cfg Config, log *slog.Logger, ready func(*app)) (err error) {
	a, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := a.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	if ready != nil {
		ready(a)
	}
	return a.Run(ctx)
}
