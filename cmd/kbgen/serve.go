package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"

	"github.com/kbgen/kbgen/internal/server"
)

func serveCmd() *command {
	var root, addr, baseURL string
	var noCache bool
	return &command{
		name:  "serve",
		usage: "[-root dir] [-addr host:port] [-base-url path] [-no-cache]",
		short: "serve the site locally, rebuilding and reloading on every change",
		long: `
Serve builds the site in memory and serves it at http://127.0.0.1:1313/ for
as long as it runs (Ctrl-C stops it). It watches content/, templates/ and
kbgen.yaml: a saved article is parsed again and its page re-rendered, and
the page open in the browser reloads by itself.

While an article has errors, every page shows them (file:line:col and the
line itself) instead of the site; fix the file and the page comes back.
Pages are exactly those of kbgen build, search included. Pages are served
as soon as the site is loaded; the search index is made in the background,
starting from the one kbgen build keeps in .kbgen/ when there is one, so
that only the articles changed since that build are indexed again, and
search in the browser waits until it is ready. After a change the index is
brought up to date in the background too (only the changed articles are
indexed again: about 0.15 s at 10,000 articles), so for a moment after
saving, search may not know the latest edit.

The server listens on 127.0.0.1 only, unless -addr says otherwise. The site
is served at / (kbgen.yaml's baseURL is for the published site); give
-base-url /kb/ to try it under the subpath it will be published at.

Serve keeps its own parse cache in .kbgen/, so that it starts by parsing
only the articles that changed since it last ran (its configuration, with
the served base path, is not the build's); -no-cache parses them all and
indexes every article, without starting from kbgen build's index.

Examples:

	kbgen serve
	kbgen serve -addr 127.0.0.1:8080
	kbgen serve -root ../support-kb -base-url /kb/
`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&root, "root", ".", "site root: the directory holding content/, templates/ and kbgen.yaml")
			fs.StringVar(&addr, "addr", "127.0.0.1:1313", "address to listen on; 127.0.0.1 keeps the server private to this machine")
			fs.StringVar(&baseURL, "base-url", "", "base path to serve the site under, e.g. /kb/ (default /)")
			fs.BoolVar(&noCache, "no-cache", false, "parse and index every article at start, ignoring .kbgen/ (and not writing the parse cache there)")
		},
		run: func(ctx context.Context, _ *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			cfg := server.Config{Root: root, BaseURL: baseURL, Generator: "kbgen " + version(), Log: stderr}
			if !noCache {
				cfg.ParseCache = filepath.Join(root, serveParseCacheFile)
				cfg.SeedIndex = filepath.Join(root, indexDir)
				cfg.SeedExport = filepath.Join(root, "public", "search")
			}
			srv, err := server.New(ctx, cfg)
			if err != nil {
				if ctx.Err() != nil {
					return nil // Ctrl-C while loading
				}
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			host, port, _ := net.SplitHostPort(ln.Addr().String())
			if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
				fmt.Fprintf(stderr, "kbgen serve: listening on %s: reachable from other machines\n", ln.Addr())
				if ip.IsUnspecified() {
					host = "127.0.0.1"
				}
			}
			fmt.Fprintf(stderr, "serving http://%s%s (Ctrl-C to stop)\n", net.JoinHostPort(host, port), srv.BasePath())
			err = srv.Serve(ctx, ln)
			fmt.Fprintln(stderr, "kbgen serve: stopped")
			return err
		},
	}
}
