package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

func checkCmd() *command {
	var sf siteFlags
	var format string
	var strict bool
	return &command{
		name:  "check",
		usage: "[-root dir] [-format text|json|github] [-strict] [-no-cache]",
		short: "check every article without building the site",
		long: `
Check parses and validates every article under content/ (frontmatter, the
section schema, links between articles) and prints the problems. It writes
nothing but the parse cache in .kbgen/, which it shares with build: an
article that did not change since the last check or build is not parsed
again (-no-cache: every article is parsed, and the cache is neither read
nor written). It exits with status 0 when there is no error, 1 when there
is one (or, with -strict, a warning).

Besides what kbgen build reports, check warns about what looks wrong across
the site or against the clock: two articles in the same language whose
primary error code is the same (probably duplicates), an updatedAt in the
future, an article that mentions no error code, and placeholder text left
by kbgen new.

Formats:

	text    file:line:col: severity: message, one per line (the default)
	json    {"diagnostics": [{"file", "line", "col", "severity", "message"}], "errors": N, "warnings": N}
	github  GitHub Actions workflow commands (::error file=…,line=…,col=…::message)

Examples:

	kbgen check
	kbgen check -format github
	kbgen check -strict -format json > problems.json
`,
		flags: func(fs *flag.FlagSet) {
			sf.register(fs)
			fs.StringVar(&format, "format", "text", "output format: text, json or github")
			fs.BoolVar(&strict, "strict", false, "fail on warnings too")
			fs.BoolVar(&sf.noCache, "no-cache", false, "parse every article, ignoring and not writing the parse cache in .kbgen/")
		},
		run: func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			switch format {
			case "text", "json", "github":
			default:
				return fmt.Errorf("%w: unknown format %q", errUsage, format)
			}
			// Machine-readable formats go to stdout, for scripts; text
			// goes to stderr like every other command's diagnostics.
			w := stderr
			if format != "text" {
				w = stdout
			}
			sf.review = true
			adviseHugePages(heapAdvice())
			defer collectFrom(gcFloor)()
			_, diags, err := sf.load(ctx, w, format)
			if err != nil {
				return err
			}
			if _, warns := diags.Count(); strict && warns > 0 {
				return errFailed
			}
			return nil
		},
	}
}
