// Command gib-taxii serves Group-IB Threat Intelligence as STIX 2.1 over
// TAXII 2.1. Run "gib-taxii help" for its subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sort"
	"syscall"
)

// env is what a subcommand may touch of the process, injected for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":         {"serve the TAXII 2.1 API from a config file", runServe},
		"demo":          {"serve sample STIX content on 127.0.0.1:8080 with nothing to configure", runDemo},
		"import":        {"load a STIX 2.1 bundle or TAXII envelope into a collection", runImport},
		"export":        {"write a collection as a STIX 2.1 bundle", runExport},
		"lookup":        {"ask Group-IB about a value or an item now, as STIX 2.1 (not stored)", runLookup},
		"migrate":       {"copy the bbolt store into PostgreSQL (--to postgres), bookmarks and all", runMigrate},
		"ingest":        {"one pass of Group-IB ingest over every enabled collection (--once)", runIngest},
		"check":         {"verify the store file: bbolt pages, indexes, every object, ingest state", runCheck},
		"status":        {"show the TAXII collections and each Group-IB collection's ingest state", runStatus},
		"sim":           {"run the Group-IB API simulator", runSim},
		"mappings":      {"check a mapping file, dry-run it on an item, or check a STIX pattern", runMappings},
		"healthcheck":   {"exit 0 if the server's /healthz answers (for container HEALTHCHECKs)", runHealthcheck},
		"loadtest":      {"drive load at any TAXII 2.1 server; walks check paging for duplicates and gaps", runLoadtest},
		"hash-password": {"read a password on stdin and print its bcrypt hash for the config", runHashPassword},
		"version":       {"print the version", runVersion},
		"bench":         {"measure ingest, the store and the TAXII API on a generated store; writes docs/PERFORMANCE.md's table", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if err := run(ctx, e, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gib-taxii:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		return runVersion(ctx, e, nil)
	}
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := commands()[args[1]]; ok {
				return commandHelp(ctx, e, c)
			}
			usage(e.stderr)
			return fmt.Errorf("unknown command %q%s", args[1], didYouMean(args[1], sortedKeys(commands())))
		}
		usage(e.stdout)
		return nil
	}
	c, ok := commands()[args[0]]
	if !ok {
		usage(e.stderr)
		return fmt.Errorf("unknown command %q%s", args[0], didYouMean(args[0], sortedKeys(commands())))
	}
	if slices.ContainsFunc(args[1:], isHelp) {
		return commandHelp(ctx, e, c)
	}
	return c.run(ctx, e, args[1:])
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// commandHelp prints a command's usage on stdout: asked for, it is the
// answer, not an error.
func commandHelp(ctx context.Context, e env, c command) error {
	e.stderr = e.stdout
	if err := c.run(ctx, e, []string{"-h"}); err != nil && !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

// parseNoArgs parses flags and refuses arguments the command does not
// take: silently ignoring them hides typos.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gib-taxii <command> [flags]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"gib-taxii help <command>\" for a command's flags.")
}

// newFlags returns a flag set that prints its usage to e.stderr.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: gib-taxii %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func runVersion(_ context.Context, e env, args []string) error {
	if err := newFlags(e, "version", "").Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "gib-taxii", version())
	return nil
}

// buildVersion is set at link time (-X main.buildVersion=...), as the
// Dockerfile does from its VERSION build argument.
var buildVersion string

// version is the version given at build time, else the module version
// stamped by the Go toolchain, else "dev".
func version() string {
	if buildVersion != "" && buildVersion != "dev" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
