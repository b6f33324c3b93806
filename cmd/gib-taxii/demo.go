package main

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"golang.org/x/crypto/bcrypt"
)

//go:embed demo/sample-bundle.json
var sampleBundle []byte

// Demo collections: an indicators-only one for SIEMs, and the whole graph.
const (
	demoIndicators = "4f6b2c1d-8e3a-4b5c-9d7e-0a1b2c3d4e5f"
	demoIntel      = "7c9d0e1f-2a3b-4c5d-8e6f-a0b1c2d3e4f5"
	demoUser       = "demo"
)

// indicatorTypes feed the SIEM collection: indicators plus what they refer to.
var indicatorTypes = map[string]bool{"indicator": true, "identity": true, "marking-definition": true}

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "demo", "[--listen ADDR] [--data DIR]")
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve TAXII on")
	data := fs.String("data", "", "directory for the store (default: a temporary directory, removed on exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gib-taxii-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	password := rand.Text()
	cfg, err := demoConfig(*listen, filepath.Join(dir, "gib-taxii.db"), password)
	if err != nil {
		return err
	}
	if err := loadSample(ctx, cfg.Storage.Path); err != nil {
		return err
	}
	log := newLogger(e.stderr, logConfig{Level: "info", Format: "text"})
	return serve(ctx, cfg, log, func(a *app) {
		base := "http://" + a.Addr()
		fmt.Fprintf(e.stdout, `gib-taxii demo: sample STIX 2.1 content over TAXII 2.1 (Ctrl-C to stop)

  discovery   %[1]s/taxii2/
  API root    %[1]s/gib/
  user        %[2]s
  password    %[3]s
  collections %[4]s (alias indicators), %[5]s (alias intel)

  curl -u '%[2]s:%[3]s' -H 'Accept: application/taxii+json;version=2.1' %[1]s/gib/collections/indicators/objects/

`, base, demoUser, password, demoIndicators, demoIntel)
	})
}

func demoConfig(listen, storePath, password string) (Config, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Config{}, err
	}
	cfg := defaultConfig()
	cfg.Storage.Path = storePath
	cfg.TAXII.Listen = listen
	cfg.TAXII.Title = "gib-taxii demo"
	cfg.TAXII.DefaultAPIRoot = "gib"
	cfg.TAXII.APIRoots = []apiRootConfig{{
		Path: "gib", Title: "Group-IB Threat Intelligence (demo)",
		Collections: []collectionConfig{
			{ID: demoIndicators, Alias: "indicators", Title: "Indicators", Description: "Indicators for SIEMs, with their markings and producer identity"},
			{ID: demoIntel, Alias: "intel", Title: "Intelligence graph", Description: "Every object and relationship, for TIPs"},
		},
	}}
	cfg.Users = []userConfig{{Name: demoUser, PasswordHash: string(hash), Permissions: map[string]string{"*": "read"}}}
	cfg.Log = logConfig{Level: "info", Format: "text"}
	return cfg, cfg.validate()
}

// loadSample stores the embedded bundle in the demo collections.
func loadSample(ctx context.Context, path string) error {
	store, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	var intel, indicators []storage.Object
	err = storage.DecodeObjects(bytes.NewReader(sampleBundle), func(i int, raw json.RawMessage) error {
		obj, err := storage.ParseObject(raw)
		if err != nil {
			return fmt.Errorf("sample object %d: %w", i, err)
		}
		intel = append(intel, obj)
		if indicatorTypes[obj.Type] {
			indicators = append(indicators, obj)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = store.Commit(ctx, storage.Batch{Writes: []storage.Write{
		{Collection: demoIntel, Objects: intel},
		{Collection: demoIndicators, Objects: indicators},
	}})
	return err
}
