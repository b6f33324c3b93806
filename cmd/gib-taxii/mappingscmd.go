package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	gibtaxii "github.com/gib-taxii/gib-taxii"
	"github.com/gib-taxii/gib-taxii/mapping"
)

func runMappings(ctx context.Context, e env, args []string) error {
	usage := "Usage: gib-taxii mappings check [FILE] | show | run --collection C [--mappings FILE] [--explain] ITEM.json |\n" +
		"       explain --collection C [--mappings FILE] ITEM.json | pattern 'PATTERN'"
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usage)
		return errors.New("mappings: a subcommand is required")
	}
	switch args[0] {
	case "check":
		return mappingsCheck(e, args[1:])
	case "run":
		return mappingsRun(e, args[1:], false)
	case "explain":
		return mappingsRun(e, args[1:], true)
	case "show":
		_, err := e.stdout.Write(gibtaxii.DefaultMappings())
		return err
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

// mappingsRun prints the STIX objects one item produces and, on stderr,
// what was dropped and why; with explain, instead of the objects, where
// each object and relationship came from.
func mappingsRun(e env, args []string, explain bool) error {
	fs := newFlags(e, "mappings run", "--collection C [--mappings FILE] [--explain] ITEM.json")
	collection := fs.String("collection", "", "Group-IB collection of the item, e.g. apt/threat (required)")
	file := fs.String("mappings", "", "mapping file (default: the embedded one)")
	fs.BoolVar(&explain, "explain", explain, "say, for every object, which rule or statement made it from which item fields")
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
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	res, err := mapFile(engine, *collection, raw, explain)
	if err != nil {
		return fmt.Errorf("mappings run: %w", err)
	}
	printDrops(e, res)
	if explain {
		return printExplanations(e, engine, res)
	}
	return printBundle(e, res.Objects)
}

// mapFile maps one item, or every item of an API page (an object with an
// "items" list, as /updated and search answers are), into one result;
// objects several items share appear once.
func mapFile(engine *mapping.Engine, collection string, raw []byte, explain bool) (mapping.Result, error) {
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(raw, &page) != nil || page.Items == nil {
		return engine.MapItem(collection, raw, explain)
	}
	var all mapping.Result
	seen := map[string]bool{}
	for i, item := range page.Items {
		res, err := engine.MapItem(collection, item, explain)
		if err != nil {
			return all, fmt.Errorf("items[%d]: %w", i, err)
		}
		for _, obj := range res.Objects {
			if id, _ := objectSummary(obj); !seen[id+string(obj)] {
				seen[id+string(obj)] = true
				all.Objects = append(all.Objects, obj)
			}
		}
		all.Dropped = append(all.Dropped, res.Dropped...)
		all.Explanations = append(all.Explanations, res.Explanations...)
		all.Refanged += res.Refanged
	}
	return all, nil
}

// printDrops reports on stderr what no object was made of, and why.
func printDrops(e env, res mapping.Result) {
	counts := res.DropCounts()
	parts := make([]string, 0, len(counts))
	for _, r := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%s %d", r, counts[r]))
	}
	fmt.Fprintf(e.stderr, "%d object(s); dropped %d value(s)", len(res.Objects), len(res.Dropped))
	if len(parts) > 0 {
		fmt.Fprintf(e.stderr, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(e.stderr, "; restored %d defanged value(s)\n", res.Refanged)
	for _, d := range res.Dropped {
		fmt.Fprintf(e.stderr, "  dropped %q: %s (rule %s, line %d)\n", d.Value, d.Reason, d.Rule, d.Line)
	}
}

// printExplanations writes one block per object: what it is, then where
// it came from.
func printExplanations(e env, engine *mapping.Engine, res mapping.Result) error {
	summaries := map[string]string{}
	for _, raw := range res.Objects {
		id, summary := objectSummary(raw)
		summaries[id] = summary
	}
	var b bytes.Buffer
	for _, x := range res.Explanations {
		fmt.Fprintf(&b, "%s\n    %s\n", summaries[x.ID], x.Describe(engine.Source()))
	}
	_, err := e.stdout.Write(b.Bytes())
	return err
}

// objectSummary names an object for a reader: its type, name or value, and
// for a relationship its two ends.
func objectSummary(raw json.RawMessage) (id, summary string) {
	var o struct {
		ID, Type, Name, Value, Pattern string
		RelationshipType               string `json:"relationship_type"`
		SourceRef                      string `json:"source_ref"`
		TargetRef                      string `json:"target_ref"`
		Abstract                       string
	}
	_ = json.Unmarshal(raw, &o)
	switch {
	case o.Type == "relationship":
		return o.ID, fmt.Sprintf("%s %s %s", o.SourceRef, o.RelationshipType, o.TargetRef)
	case o.Name != "":
		return o.ID, fmt.Sprintf("%s %q", o.ID, o.Name)
	case o.Value != "":
		return o.ID, fmt.Sprintf("%s %q", o.ID, o.Value)
	case o.Abstract != "":
		return o.ID, fmt.Sprintf("%s %q", o.ID, o.Abstract)
	}
	return o.ID, o.ID
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

// mappingsPattern checks one STIX 2.1 pattern: its syntax, then its
// object paths against the STIX object model.
func mappingsPattern(e env, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: gib-taxii mappings pattern 'PATTERN'")
	}
	p, err := mapping.ParsePattern(args[0])
	if err == nil {
		err = p.CheckObjectModel()
	}
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
