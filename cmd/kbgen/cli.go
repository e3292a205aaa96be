package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// command is one kbgen subcommand.
type command struct {
	name  string
	usage string // the arguments after the name
	short string
	long  string // the help text, with examples
	run   func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error
	flags func(fs *flag.FlagSet) // defines the command's flags; set before run is called
}

// errUsage marks an error in the command line (exit status 2).
var errUsage = errors.New("usage")

// errFailed means the command has already printed why it failed (exit 1).
var errFailed = errors.New("failed")

func commands() []*command {
	return []*command{buildCmd(), checkCmd(), newCmd(), serveCmd(), searchCmd(), versionCmd()}
}

// run runs kbgen with args and returns the exit status: 0 on success, 1 when
// the command failed or found errors, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name, args := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 0 {
			if c := lookup(args[0]); c != nil {
				helpCommand(stdout, c)
				return 0
			}
			fmt.Fprintf(stderr, "kbgen help %s: unknown command\n", args[0])
			return 2
		}
		usage(stdout)
		return 0
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "kbgen %s: unknown command\nRun 'kbgen help' for usage.\n", name)
		return 2
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { helpCommand(stderr, c) }
	if c.flags != nil {
		c.flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	err := c.run(ctx, fs, fs.Args(), stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "kbgen %s: %v\nRun 'kbgen help %s' for usage.\n", c.name, strings.TrimSuffix(err.Error(), ": usage"), c.name)
		return 2
	case errors.Is(err, errFailed):
		return 1
	default:
		fmt.Fprintf(stderr, "kbgen %s: %v\n", c.name, err)
		return 1
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Kbgen builds a static knowledge-base site from Markdown troubleshooting articles.\n\nUsage:\n\n\tkbgen <command> [flags] [arguments]\n\nThe commands are:\n\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "\t%s\t%s\n", c.name, c.short)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun 'kbgen help <command>' for more about a command.\n")
}

func helpCommand(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: kbgen %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.long))
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
	}
	any := false
	fs.VisitAll(func(*flag.Flag) { any = true })
	if any {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// version returns the module version kbgen was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func versionCmd() *command {
	return &command{
		name:  "version",
		short: "print kbgen's version",
		long:  "Version prints the version kbgen was built from.",
		run: func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
			_, err := fmt.Fprintf(stdout, "kbgen %s\n", version())
			return err
		},
	}
}

// isTerminal reports whether w is a terminal, for colour and progress.
func isTerminal(w io.Writer) bool {
	if p, ok := w.(*progress); ok {
		w = p.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
