package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/site"
)

// indexDir is where kbgen build keeps the bleve index that kbgen search
// queries, relative to the site root.
const indexDir = ".kbgen/index"

// siteFlags are the flags every command that loads a site shares.
type siteFlags struct {
	root    string
	baseURL string

	review   bool      // also report site.Check's warnings (kbgen check)
	progress *progress // counts the articles parsed, when drawing progress
}

func (f *siteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.root, "root", ".", "site root: the directory holding content/, templates/ and kbgen.yaml")
	fs.StringVar(&f.baseURL, "base-url", "", "base URL the site is published at, e.g. https://example.github.io/kb/ (overrides baseURL in kbgen.yaml)")
}

// load reads the configuration and all articles. It prints the diagnostics
// to stderr in the given format and returns errFailed when there are errors.
func (f *siteFlags) load(ctx context.Context, stderr io.Writer, format string) (*site.Site, diag.List, error) {
	fsys := os.DirFS(f.root)
	if f.progress != nil {
		fsys = f.progress.fs(fsys)
	}
	cfg, diags := site.LoadConfig(fsys)
	if f.baseURL != "" {
		if err := cfg.SetBaseURL(f.baseURL); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	var s *site.Site
	if !diags.HasErrors() {
		var more diag.List
		var err error
		s, more, err = site.Load(ctx, fsys, cfg)
		if err != nil {
			return nil, nil, err
		}
		diags = append(diags, more...)
		if f.review {
			diags = append(diags, s.Check(time.Now())...)
			diags.Sort()
		}
	}
	if err := writeDiags(stderr, diags, format); err != nil {
		return nil, nil, err
	}
	if diags.HasErrors() {
		return s, diags, errFailed
	}
	return s, diags, nil
}

func writeDiags(w io.Writer, diags diag.List, format string) error {
	switch format {
	case "json":
		return diag.WriteJSON(w, diags)
	case "github":
		return diag.WriteGitHub(w, diags)
	}
	return diag.WriteText(w, diags, isTerminal(w) && os.Getenv("NO_COLOR") == "")
}

func buildCmd() *command {
	var sf siteFlags
	var out string
	var quiet, verbose bool
	return &command{
		name:  "build",
		usage: "[-root dir] [-out dir] [-base-url url] [-quiet]",
		short: "build the site from content/ into public/",
		long: `
Build checks every article under content/, renders the site with the default
templates (or the site's own templates/, file by file) and writes it to public/.

Problems in articles are printed as file:line:col: severity: message, all of
them in one run. If any is an error, build exits with status 1 and public/ is
left exactly as it was: the site is written beside it and swapped in only
when complete.

Build also writes the search index that 'kbgen search' queries to .kbgen/.

Examples:

	kbgen build
	kbgen build -base-url https://example.github.io/kb/
	kbgen build -root ../support-kb -out /srv/www/kb
`,
		flags: func(fs *flag.FlagSet) {
			sf.register(fs)
			fs.StringVar(&out, "out", "public", "output directory, relative to the site root")
			fs.BoolVar(&quiet, "quiet", false, "print only problems, no summary")
			fs.BoolVar(&verbose, "v", false, "print the time of each stage")
		},
		run: func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			start := time.Now()
			if !quiet && isTerminal(stderr) {
				p := startProgress(stderr)
				sf.progress = p
				stderr = p // diagnostics print above the progress line
				defer p.finish()
			}
			s, diags, err := sf.load(ctx, stderr, "text")
			if err != nil {
				if err == errFailed {
					errs, warns := diags.Count()
					fmt.Fprintf(stderr, "kbgen build: %d errors, %d warnings: nothing written\n", errs, warns)
				}
				return err
			}
			if !filepath.IsAbs(out) {
				out = filepath.Join(sf.root, out)
			}
			st, err := s.Build(ctx, site.BuildOptions{
				Out:       out,
				IndexDir:  filepath.Join(sf.root, indexDir),
				Generator: "kbgen " + version(),
				Progress:  progressFunc(sf.progress),
			})
			if err != nil {
				return err
			}
			if verbose {
				for _, stg := range st.Stages {
					fmt.Fprintf(stderr, "%-10s %v\n", stg.Name, stg.Time.Round(time.Millisecond))
				}
			}
			if sf.progress != nil {
				sf.progress.finish()
			}
			if !quiet {
				_, warns := diags.Count()
				fmt.Fprintf(stderr, "%s articles, %s pages, 0 errors, %d warnings in %.1fs\n",
					thousands(st.Articles), thousands(st.Pages), warns, time.Since(start).Seconds())
			}
			return nil
		},
	}
}

// progressFunc returns p.step, or nil when there is no progress display.
func progressFunc(p *progress) func(string, int, int) {
	if p == nil {
		return nil
	}
	return p.step
}

// thousands formats n with comma separators (1,234).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
