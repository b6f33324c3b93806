package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/gib-taxii/gib-taxii/mapping"
)

func runMappings(ctx context.Context, e env, args []string) error {
	usage := "Usage: gib-taxii mappings check [FILE] | run --collection C [--mappings FILE] ITEM.json | pattern 'PATTERN'"
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usage)
		return errors.New("mappings: a subcommand is required")
	}
	switch args[0] {
	case "check":
		return mappingsCheck(e, args[1:])
	case "run":
		return mappingsRun(e, args[1:])
	case "pattern":
		return mappingsPattern(e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, usage)
		return nil
	}
	fmt.Fprintln(e.stderr, usage)
	return fmt.Errorf("mappings: unknown subcommand %q", args[0])
}

// mappingsCheck validates a mapping file (default: the embedded one) and
// reports every problem at once.
func mappingsCheck(e env, args []string) error {
	fs := newFlags(e, "mappings check", "[FILE]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	engine, err := loadMappings(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ok: %d collections\n", len(engine.Collections()))
	return nil
}

// mappingsRun prints the STIX objects one item produces.
func mappingsRun(e env, args []string) error {
	fs := newFlags(e, "mappings run", "--collection C [--mappings FILE] ITEM.json")
	collection := fs.String("collection", "", "Group-IB collection of the item, e.g. apt/threat (required)")
	file := fs.String("mappings", "", "mapping file (default: the embedded one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *collection == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("mappings run: --collection and one item file are required")
	}
	engine, err := loadMappings(*file)
	if err != nil {
		return err
	}
	item, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	objs, err := engine.Map(*collection, item)
	if err != nil {
		return fmt.Errorf("mappings run: %w", err)
	}
	return printBundle(e, objs)
}

// printBundle writes the objects as an indented JSON list.
func printBundle(e env, objs []json.RawMessage) error {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, o := range objs {
		b.WriteString("  ")
		if err := json.Indent(&b, o, "  ", "  "); err != nil {
			return err
		}
		if i < len(objs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	_, err := e.stdout.Write(b.Bytes())
	return err
}

// mappingsPattern checks one STIX 2.1 pattern.
func mappingsPattern(e env, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: gib-taxii mappings pattern 'PATTERN'")
	}
	p, err := mapping.ParsePattern(args[0])
	if err != nil {
		var pe *mapping.PatternError
		if errors.As(err, &pe) {
			fmt.Fprintf(e.stderr, "%s\n%*s^\n", args[0], pe.Pos, "")
		}
		return fmt.Errorf("invalid pattern: %w", err)
	}
	fmt.Fprintf(e.stdout, "valid: %s\n", p)
	return nil
}
