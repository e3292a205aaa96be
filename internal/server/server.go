package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/site"
)

// Config configures a Server. Root is required; the zero value of every
// other field is useful.
type Config struct {
	Root string // the site root: the directory holding content/, templates/ and kbgen.yaml
	// BaseURL is the base path (or URL, whose path is used) the site is
	// served under, ending in "/"; empty serves it at "/".
	BaseURL   string
	Generator string    // names the program in the pages' generator meta tag
	Log       io.Writer // where rebuilds and diagnostics are reported; nil discards them
	// Debounce is how long the watcher waits for quiet after a change
	// before rebuilding; zero means 50 ms.
	Debounce time.Duration
	// Now is the clock for the checks against the current time (an
	// updatedAt in the future); nil means time.Now.
	Now func() time.Time
	// ParseCache is a parse cache file (site.LoadOptions): a load, at
	// start and after kbgen.yaml changes, parses only the articles that
	// changed since the last one. Empty parses every article.
	ParseCache string
	// SeedIndex is a search index kbgen build keeps (.kbgen/index). The
	// server's own index starts as a copy of it, if it can be copied
	// (site.CopySearchIndex), and then indexes only the articles changed
	// since that build: at 10,000 generated articles 0.4 s instead of
	// 10 s. Empty, or an index that cannot be copied, builds the
	// server's index from scratch.
	SeedIndex string
	// SeedExport is the search directory kbgen build published with that
	// index (public/search). The first export takes over the files of the
	// build's export it finds there (site.SearchIndex.ExportFrom) and
	// makes only those that differ: at 10,000 generated articles, search
	// is then ready 0.5 s after the site is loaded when nothing changed
	// since the build, 1-1.3 s when an article did, where copying the
	// index alone left the export to make in full, 5-8 s.
	SeedExport string
}

// Server is the development server. It is an http.Handler; Serve also
// watches the site for changes. Its methods are safe for concurrent use.
type Server struct {
	cfg      Config
	log      io.Writer
	root     *os.Root // the site root; every read of the site goes through it
	fsys     fs.FS    // root.FS()
	tmp      string   // holds index/, the search index, and search/, its exports (see site.SearchIndex.Export)
	basePath string

	mu  sync.Mutex // serialises rebuilds and publishing search exports
	cur atomic.Pointer[state]

	hub        hub
	searchKick chan struct{} // asks the search goroutine for a new export
	// exportMu is held while search files are written into tmp; Close
	// takes it to set closed, so that no export writes after the
	// temporary directory is removed.
	exportMu sync.Mutex
	closed   bool
	export   *site.SearchExport // the last export, under exportMu
	// index is the search index in tmp, kept open from one export to the
	// next so that an edit costs the update of its articles only (see
	// site.SearchIndex.Update); nil before the first export and after a
	// failed one. buildSearch holds indexMu throughout.
	indexMu sync.Mutex
	index   *site.SearchIndex
	// seeded says whether Config.SeedIndex was tried, seed whether the
	// index started as a copy of it; both under indexMu.
	seeded, seed bool
	// searching counts the goroutines of exportSearch that may still be
	// updating the index in tmp, for Close to wait for.
	searching sync.WaitGroup
	stop      chan struct{} // closed when the HTTP server shuts down, to end event streams
	stopOnce  sync.Once
}

// state is one immutable generation of what the server serves. A request
// loads the current state once and uses it throughout, so it never sees a
// half-done rebuild.
type state struct {
	gen   uint64     // rebuild number, announced to browsers
	site  *site.Site // nil when the site could not be loaded at all
	theme *site.Theme
	diags diag.List // of the whole site
	err   error     // what stops the site from being served besides diagnostics
	cache *pageCache
	// search is the search export served, whose entry search/index.json
	// is; searchPrev the one before, still served to the tabs that loaded
	// its entry. searchOf is the site search was exported from.
	search, searchPrev *site.SearchExport
	searchOf           *site.Site
}

// searchFile returns the search file at rel, a path below the base path:
// the entry, search/index.json, or a file of the export served or of the
// one before, below search/<version>/.
func (st *state) searchFile(rel string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(rel, "search/")
	if !ok || st.search == nil {
		return nil, false
	}
	if rest == "index.json" {
		return st.search.Entry(), true
	}
	version, name, ok := strings.Cut(rest, "/")
	for _, e := range []*site.SearchExport{st.search, st.searchPrev} {
		if ok && e != nil && e.Version() == version {
			return e.ReadFile(name)
		}
	}
	return nil, false
}

// broken reports whether pages must show the error page.
func (st *state) broken() bool {
	return st.err != nil || st.site == nil || st.theme == nil || st.diags.HasErrors()
}

// New loads the site at cfg.Root and returns a Server ready to serve it.
// A site with errors is not a failure: its pages show the error page until
// the errors are fixed. The error is for what prevents serving at all (a
// missing root, an invalid base URL, no temporary directory, ctx cancelled
// while loading). Call Close when done.
//
// The search export is not made here but by Serve, as soon as it starts:
// pages are served meanwhile, and search answers that it is not ready yet
// (see ServeHTTP). At 10,000 generated articles with the parse cache,
// loading takes 0.4 s; indexing them all, 10 s more.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = 50 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	abs, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	cfg.Root = abs
	s := &Server{cfg: cfg, log: cfg.Log, searchKick: make(chan struct{}, 1), stop: make(chan struct{})}
	// The base URL is checked as kbgen.yaml's is.
	base := site.DefaultConfig()
	if cfg.BaseURL != "" {
		if err := base.SetBaseURL(cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	s.basePath = base.BasePath()

	if s.root, err = os.OpenRoot(abs); err != nil {
		return nil, fmt.Errorf("open site root: %w", err)
	}
	s.fsys = s.root.FS()
	if s.tmp, err = os.MkdirTemp("", "kbgen-serve-"); err != nil {
		s.root.Close()
		return nil, err
	}

	start := time.Now()
	st := s.load(ctx)
	if err := ctx.Err(); err != nil {
		s.Close()
		return nil, err
	}
	st.gen = 1
	if st.site != nil {
		s.searchKick <- struct{}{}
	}
	s.cur.Store(st)
	s.report(st, nil, time.Since(start))
	return s, nil
}

// BasePath returns the path the site is served under, ending in "/".
func (s *Server) BasePath() string { return s.basePath }

// Close removes the server's temporary files, after waiting for a search
// index update in progress, which stops soon once Serve's context is
// cancelled. It does not stop Serve; cancel its context for that.
func (s *Server) Close() error {
	s.exportMu.Lock()
	s.closed = true
	s.exportMu.Unlock()
	s.searching.Wait()
	s.indexMu.Lock()
	if s.index != nil {
		s.index.Discard()
		s.index = nil
	}
	s.indexMu.Unlock()
	if s.root != nil {
		s.root.Close()
	}
	return os.RemoveAll(s.tmp)
}

// load loads the configuration, the site and the theme from scratch.
func (s *Server) load(ctx context.Context) *state {
	st := &state{cache: newPageCache()}
	cfg, diags := site.LoadConfig(s.fsys)
	st.diags = diags
	if diags.HasErrors() {
		return st
	}
	// Links stay on the dev server: the host of kbgen.yaml's baseURL is
	// dropped, and its path replaced by the server's.
	if err := cfg.SetBaseURL(s.basePath); err != nil {
		st.err = err
		return st
	}
	ss, more, err := site.LoadWith(ctx, s.fsys, cfg, site.LoadOptions{ParseCache: s.cfg.ParseCache})
	if err != nil {
		st.err = fmt.Errorf("load site: %w", err)
		return st
	}
	st.site = ss
	st.diags = append(st.diags, more...)
	st.theme, st.err = ss.LoadTheme()
	return st
}

// apply rebuilds after the files named in changed (slash-separated, relative
// to the site root) changed, publishes the new state and tells the
// browsers. It returns the new state, or nil if nothing served depends on
// the changed files.
func (s *Server) apply(ctx context.Context, changed []string) *state {
	var config, templates bool
	var content []string
	for _, name := range changed {
		switch {
		case name == site.ConfigFile:
			config = true
		case name == site.TemplatesDir || strings.HasPrefix(name, site.TemplatesDir+"/"):
			templates = true
		case name == site.ContentDir || strings.HasPrefix(name, site.ContentDir+"/"):
			if !hiddenContent(name) {
				content = append(content, name)
			}
		}
	}
	if !config && !templates && len(content) == 0 {
		return nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	old := s.cur.Load()
	next := s.rebuild(ctx, old, config, templates, content)
	next.gen = old.gen + 1
	next.search, next.searchPrev, next.searchOf = old.search, old.searchPrev, old.searchOf
	s.cur.Store(next)
	if next.site != nil && next.site != next.searchOf {
		select {
		case s.searchKick <- struct{}{}:
		default: // one is already pending; it will see this site
		}
	}
	s.hub.publish(next.gen)
	s.report(next, changed, time.Since(start))
	return next
}

// hiddenContent reports whether name, under content/, has a path element
// starting with "." or "_": the site neither reads nor publishes such files.
// Editors write their swap and backup files there (vim's .x.md.swp, every
// few seconds while typing), which must not rebuild the site and reload
// the browser each time.
func hiddenContent(name string) bool {
	for _, el := range strings.Split(strings.TrimPrefix(name, site.ContentDir+"/"), "/") {
		if strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_") {
			return true
		}
	}
	return false
}

// rebuild returns the state after a change: config means kbgen.yaml
// changed, templates something under templates/, content lists the changed
// paths under content/.
func (s *Server) rebuild(ctx context.Context, old *state, config, templates bool, content []string) *state {
	if config || old.site == nil {
		return s.load(ctx)
	}
	// With a site loaded, old.err can only be the theme's.
	next := &state{site: old.site, theme: old.theme, diags: old.diags, err: old.err, cache: newPageCache()}
	if len(content) > 0 {
		ss, diags, err := old.site.Update(ctx, content)
		if err != nil {
			// The change could not be read (a file replaced while
			// reading, permissions): start over.
			return s.load(ctx)
		}
		next.site = ss
		next.diags = diags
	}
	if templates || next.theme == nil {
		next.theme, next.err = next.site.LoadTheme()
	}
	return next
}

// report logs a load or rebuild that took took: its diagnostics (all of
// them for a full load, only those of the changed files otherwise), with
// the warnings of site.Check, and the totals.
//
// site.Check runs here, after the new state is published and the browsers
// are told, not in the rebuild: its warnings are for the log (and kbgen
// check), never for the pages, and at 10,000 articles it costs about as
// much as the rebuild itself.
func (s *Server) report(st *state, changed []string, took time.Duration) {
	all := st.diags
	if st.site != nil {
		all = append(slices.Clip(all), st.site.Check(s.cfg.Now())...)
	}
	// At start, the errors (the warnings of a large site can run to
	// thousands, and kbgen check lists them); after a change, everything
	// about the changed files.
	var shown diag.List
	for _, d := range all {
		if changed == nil && d.Severity == diag.Error || slices.Contains(changed, d.Pos.File) {
			shown = append(shown, d)
		}
	}
	shown.Sort()
	diag.WriteText(s.log, shown, false)
	if st.err != nil {
		fmt.Fprintf(s.log, "kbgen serve: %v\n", st.err)
	}
	errs, warns := all.Count()
	what := "loaded"
	if changed != nil {
		// Name the files an author edits, not an editor's temporary
		// files, which come and go with every save.
		var names []string
		for _, name := range changed {
			if name == site.ConfigFile || strings.HasSuffix(name, ".md") || strings.HasPrefix(name, site.TemplatesDir+"/") {
				names = append(names, name)
			}
		}
		switch {
		case len(names) == 0:
			what = fmt.Sprintf("%d files", len(changed))
		case len(names) > 3:
			what = fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
		default:
			what = strings.Join(names, ", ")
		}
		what = "rebuilt after " + what
	}
	n := 0
	if st.site != nil {
		n = len(st.site.Articles)
	}
	hint := ""
	if changed == nil && warns > 0 {
		hint = " (kbgen check lists them)"
	}
	fmt.Fprintf(s.log, "%s in %v: %d articles, %d errors, %d warnings%s\n", what, took.Round(100*time.Microsecond), n, errs, warns, hint)
}

// exportSearch brings the search index up to date with the current site,
// if it is not yet, exports it and publishes the export. Old exports are
// removed, but for what the one before, which open tabs may still be
// using, needs.
//
// When ctx is cancelled, exportSearch returns at once and drops the
// result; the index update stops soon after (search.Update checks ctx
// between batches and after merging), and Close waits for it before it
// removes the temporary directory the index is in. Ctrl-C is not kept
// waiting.
func (s *Server) exportSearch(ctx context.Context) {
	st := s.cur.Load()
	if st.site == nil || st.site == st.searchOf {
		return
	}
	start := time.Now()
	type result struct {
		export *site.SearchExport
		err    error
	}
	done := make(chan result, 1)
	s.exportMu.Lock()
	if s.closed {
		s.exportMu.Unlock()
		return
	}
	s.searching.Add(1) // before Close's Wait, which sets closed first
	s.exportMu.Unlock()
	go func() {
		defer s.searching.Done()
		e, err := s.buildSearch(ctx, st.site)
		done <- result{e, err}
	}()
	var r result
	select {
	case <-ctx.Done():
		return
	case r = <-done:
	}
	if r.err != nil {
		fmt.Fprintf(s.log, "kbgen serve: search: %v\n", r.err)
		return
	}
	// Only exportSearch sets the export served, so st tells whether
	// this is the first.
	what, from := "updated", ""
	if st.search == nil {
		what = "ready"
		s.indexMu.Lock()
		if s.seed {
			from = " (started from " + s.cfg.SeedIndex + ")"
		}
		s.indexMu.Unlock()
	}
	s.mu.Lock()
	cur := s.cur.Load()
	next := *cur
	if r.export != cur.search {
		next.searchPrev = cur.search
	}
	next.search, next.searchOf = r.export, st.site
	s.cur.Store(&next)
	s.mu.Unlock()
	fmt.Fprintf(s.log, "search index %s in %v%s\n", what, time.Since(start).Round(time.Millisecond), from)
	// Under exportMu, so that no export is being made meanwhile: the
	// last one made is kept too, as the next one is made over it.
	s.exportMu.Lock()
	if !s.closed {
		_ = site.PruneExports(filepath.Join(s.tmp, "search"), s.export, next.search, next.searchPrev)
	}
	s.exportMu.Unlock()
	// Collect this edit's garbage now, while the author looks at the
	// page, not in the middle of the next edit. At 10,000 generated
	// articles an edit allocates 70-90 MB (the search's 50-70 of it; see
	// site.BenchmarkUpdateSearch), and with the collector left to itself
	// one edit in three to five took 209-403 ms instead of about 110: it
	// grew the heap a page fault at a time (13,000-18,000 minor faults
	// against about 400) and, probably, had a collection in it. In runs
	// of twenty edits, 43 of 60 were under 200 ms without this and 95 of
	// 100 with it.
	go runtime.GC()
}

// testHookUpdated is called by buildSearch after the index is updated;
// tests replace it to hold the update there.
var testHookUpdated = func() {}

// buildSearch brings the search index in the temporary directory up to
// date with ss (only changed articles are analysed again) and exports it
// there over the last export, whose files that did not change it serves
// where they are, unless the server has been closed meanwhile.
func (s *Server) buildSearch(ctx context.Context, ss *site.Site) (*site.SearchExport, error) {
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if s.index != nil {
		if err := s.index.Update(ctx, ss); err != nil {
			s.index = nil // closed by Update: open it again below
		}
	}
	if s.index == nil {
		dir := filepath.Join(s.tmp, "index")
		if seed := s.cfg.SeedIndex; seed != "" && !s.seeded {
			s.seeded = true
			err := site.CopySearchIndex(dir, seed)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(s.log, "kbgen serve: search: indexing every article: %v\n", err)
			}
			s.seed = err == nil
		}
		ix, err := ss.UpdateSearch(ctx, dir)
		if err != nil {
			return nil, err
		}
		s.index = ix
	}
	testHookUpdated()
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	if s.closed {
		return nil, errors.New("server closed")
	}
	var e *site.SearchExport
	var err error
	if dir := filepath.Join(s.tmp, "search"); s.export == nil && s.seed {
		e, err = s.index.ExportFrom(dir, s.cfg.SeedExport)
	} else {
		e, err = s.index.Export(dir, s.export)
	}
	if err != nil {
		s.index.Discard()
		s.index = nil
		return nil, err
	}
	s.export = e
	return e, nil
}

// Serve serves the site on ln and watches it for changes until ctx is
// cancelled, then shuts the HTTP server down gracefully (open event streams
// are ended, requests in flight finish, a search export in progress is
// abandoned) and returns. It returns nil after a clean shutdown. Serve may
// be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(func() { s.stopOnce.Do(func() { close(s.stop) }) })

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.watch(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(s.log, "kbgen serve: watching stopped, changes are not picked up: %v\n", err)
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.searchKick:
				s.exportSearch(ctx)
			}
		}
	})
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
		shutCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		err = hs.Shutdown(shutCtx)
		done()
		<-served
	case err = <-served:
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
