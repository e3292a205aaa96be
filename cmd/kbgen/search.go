package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kbgen/kbgen/internal/search"
	"github.com/kbgen/kbgen/internal/site"
)

func searchCmd() *command {
	var sf siteFlags
	var asJSON bool
	var lang string
	var limit int
	return &command{
		name:  "search",
		usage: "[-json] [-lang code] [-limit n] query...",
		short: "search the site's index from the terminal",
		long: `
Search prints the articles that match the query, best first, from the same
index the published site searches. An error code matches in any form it is
typed in (0xC004F074, c004f074, full-width, or its decimal value); other
words match Japanese and English text.

The index is the one the last 'kbgen build' wrote to .kbgen/; without one,
search builds it in memory from content/ first.

Flags may come before or after the query.

Examples:

	kbgen search 0xC004F074
	kbgen search -lang ja ライセンス認証
	kbgen search -json -limit 3 "KMS 認証" | jq -r '.[0].url'
`,
		flags: func(fs *flag.FlagSet) {
			sf.register(fs)
			fs.BoolVar(&asJSON, "json", false, "print results as JSON")
			fs.StringVar(&lang, "lang", "", "only articles in this language")
			fs.IntVar(&limit, "limit", 10, "maximum number of results")
		},
		run: func(ctx context.Context, fset *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
			words, err := interspersed(fset, args)
			if err != nil {
				return err
			}
			q := strings.Join(words, " ")
			if strings.TrimSpace(q) == "" {
				return fmt.Errorf("%w: no query", errUsage)
			}
			if limit < 1 {
				return fmt.Errorf("%w: -limit must be at least 1", errUsage)
			}
			ix, base, err := openIndex(ctx, &sf, stderr)
			if err != nil {
				return err
			}
			defer ix.Close()
			hits, err := ix.Search(search.Query{Text: q, Lang: lang, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				type result struct {
					URL     string   `json:"url"`
					Title   string   `json:"title"`
					Lang    string   `json:"lang"`
					Codes   []string `json:"codes"`
					Score   float64  `json:"score"`
					Snippet string   `json:"snippet"`
				}
				out := []result{}
				for _, h := range hits {
					r := result{URL: base + h.ID, Title: h.Title, Lang: h.Lang, Codes: []string{}, Score: h.Score, Snippet: plain(h.Snippet)}
					for _, c := range h.Codes {
						r.Codes = append(r.Codes, string(c))
					}
					out = append(out, r)
				}
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(hits) == 0 {
				fmt.Fprintf(stderr, "no articles match %q\n", q)
				return errFailed
			}
			color := isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
			for i, h := range hits {
				var codes []string
				for _, c := range h.Codes {
					codes = append(codes, string(c))
				}
				title := h.Title
				if color {
					title = "\x1b[1m" + title + "\x1b[0m"
				}
				fmt.Fprintf(stdout, "%2d. %s [%s] %s\n    %s\n", i+1, title, h.Lang, strings.Join(codes, " "), base+h.ID)
				if sn := plain(h.Snippet); sn != "" {
					fmt.Fprintf(stdout, "    %s\n", sn)
				}
			}
			return nil
		},
	}
}

// interspersed parses flags that follow positional arguments too, so that
// "kbgen search 0xC004F074 -json" works as users expect; the flag package
// alone stops at the first argument.
func interspersed(fset *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for len(args) > 0 {
		words = append(words, args[0])
		if err := fset.Parse(args[1:]); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fset.Args()
	}
	return words, nil
}

// openIndex opens the index the last build wrote, or builds one in memory
// from the site's content when there is none. It returns the index and the
// base path that result URLs are relative to.
func openIndex(ctx context.Context, sf *siteFlags, stderr io.Writer) (*search.Index, string, error) {
	dir := filepath.Join(sf.root, indexDir)
	if _, err := os.Stat(dir); err == nil {
		cfg, _ := site.LoadConfig(os.DirFS(sf.root))
		if sf.baseURL != "" {
			if err := cfg.SetBaseURL(sf.baseURL); err != nil {
				return nil, "", fmt.Errorf("%w: %v", errUsage, err)
			}
		}
		ix, err := search.Open(dir)
		if err != nil {
			return nil, "", fmt.Errorf("open index %s: %w (run kbgen build to rebuild it)", dir, err)
		}
		return ix, cfg.BasePath(), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	s, _, err := sf.load(ctx, stderr, "text")
	if err != nil {
		return nil, "", err
	}
	ix, err := s.Index()
	if err != nil {
		return nil, "", err
	}
	return ix, s.Config.BasePath(), nil
}

var tags = regexp.MustCompile(`</?mark>`)

// plain turns a snippet's HTML (escaped text with <mark>) into plain text.
func plain(s string) string {
	return html.UnescapeString(tags.ReplaceAllString(s, ""))
}
