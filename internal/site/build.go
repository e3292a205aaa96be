package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbgen/kbgen/internal/highlight"
	"github.com/kbgen/kbgen/internal/mapfile"
	"github.com/kbgen/kbgen/internal/render"
	"github.com/kbgen/kbgen/internal/search"
)

// BuildOptions says where a build writes.
type BuildOptions struct {
	// Out is the output directory (public/). It is replaced as a whole
	// only when the build succeeds; see Build.
	Out string
	// IndexDir is where the bleve index that kbgen search queries is
	// written; empty means the index is kept in memory only.
	IndexDir string
	// Generator names the program in the pages' generator meta tag.
	Generator string
	// Cache is the build cache file (see cache.go); empty means no cache:
	// every file is made and written afresh, and no cache file is
	// written.
	Cache string
	// Spare, if set, is the listing of the cache's spare and the cache
	// file that ListSpare started reading before the site was loaded,
	// which the build takes if they still describe the spare and Cache;
	// nil: the build reads them itself.
	Spare *SpareList
	// Progress, if set, is told how far the build is: stage "indexed"
	// (0 when the search index build starts, all articles when it is
	// done) or "rendered", done of total articles. It is called from several
	// goroutines at once and must be quick.
	Progress func(stage string, done, total int)
}

// Stats are the figures of one build.
type Stats struct {
	Articles int
	Pages    int   // HTML pages written
	Files    int   // all files written
	Reused   int   // files of Files linked from the previous build (see cache.go)
	Keyed    int   // pages whose key was made: with the cache, those whose dependencies changed (see cache.go)
	Made     int   // pages made from their templates, rather than kept by key; kept all the same if their bytes are
	Bytes    int64 // total size of the files written
	Stages   []Stage
	// Work is the time of each kind of work, the load's included: read,
	// parse, restore (from the parse cache), validate, render (Markdown
	// and highlighting), templates, write; then the search's, index (bleve)
	// and export, which run beside the pages (see work.go).
	Work []Stage
}

// Stage is the wall time of one stage of a build.
type Stage struct {
	Name string
	Time time.Duration
}

// Build renders the site into opts.Out. It writes everything into a
// directory beside Out (new, or with the cache the spare, see cache.go)
// and swaps it in only when every file is written, so an interrupted or
// failed build leaves the previous site exactly as it was (see
// publish.go). The same Site always gives byte-identical output.
func (s *Site) Build(ctx context.Context, opts BuildOptions) (Stats, error) {
	var st Stats
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return st, err
	}
	// Fail before the work, not after it, when the output cannot be
	// replaced: publish would refuse a file in its place.
	if fi, err := os.Lstat(out); err == nil && !fi.IsDir() {
		return st, fmt.Errorf("output %s exists and is not a directory", out)
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return st, fmt.Errorf("create output directory: %w", err)
	}
	removeStale(out) // what builds killed mid-way left beside out
	w := &writer{surveyed: make(chan struct{}), stamped: make(chan struct{}), work: s.work}
	from := s.work.totals()
	defer func() {
		if w.indexClosed != nil {
			<-w.indexClosed
		}
	}()
	var prev *buildCache
	var exe cachedFile
	var exeSum cacheKey
	// Without a readable executable there is nothing to key the cache
	// by, and the build goes on without one.
	if opts.Cache != "" {
		if l := opts.Spare; l != nil && l.cache == opts.Cache {
			prev = l.readCache(out)
		} else {
			prev = readCache(opts.Cache, out)
		}
		if exe, exeSum, err = executableSum(prev); err == nil {
			if w.salt, err = s.cacheSalt(exeSum); err != nil {
				return st, fmt.Errorf("build cache: %w", err)
			}
			// Sized as the last site was, without its search
			// export, which is recorded apart (see recordSearch):
			// growing a map of 38,000 files (at 10,000 articles)
			// took 40 ms of CPU, and one sized for the export's
			// 15,600 files too took 4.5 MB more than it needed.
			var files int
			if prev != nil {
				files = prev.Files.len() - prev.Files.under
			}
			w.prev, w.prevDir, w.next = prev, out, make(map[string]cachedFile, files)
		}
	}
	tmp, err := os.MkdirTemp(parent, buildDirPrefix(out))
	if err != nil {
		return st, fmt.Errorf("create build directory: %w", err)
	}
	defer os.RemoveAll(tmp) // after a successful swap, the previous site
	// With the cache, the site the build before the last one published is
	// kept as the spare (see cache.go): moved onto tmp, which rename
	// replaces since it is empty, it is brought up to date rather than
	// made anew.
	spare := ""
	if w.next != nil {
		spare = opts.Cache + ".spare"
		var stamp fileStamp
		if opts.Spare != nil && opts.Spare.spare == spare {
			stamp = dirStamp(spare)
		}
		if replaceEmpty(spare, tmp) == nil && prev != nil {
			w.spare = prev.Spare
			if stamp != (fileStamp{}) {
				w.listed, w.listedStamp = opts.Spare, stamp
			}
		}
	}
	// The lock tells other builds' removeStale that tmp is in use; it goes
	// with the process, so a killed build's directory becomes removable.
	unlock, err := lockDir(tmp)
	if err != nil {
		return st, fmt.Errorf("create build directory: %w", err)
	}
	defer unlock()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return st, err
	}
	w.dir = tmp
	if w.prev != nil {
		w.root, w.prevRoot = openRoot(tmp), openRoot(w.prevDir)
		defer func() {
			w.root.close()
			w.prevRoot.close()
			w.exportRoot.close() // the export is done: write waits for it
		}()
	}
	if err := s.write(ctx, w, opts, &st); err != nil {
		return st, err
	}
	start := time.Now()
	// The cache file is written beside the end of the sweep, the swap and
	// the search index's close (10 ms at 10,000 generated articles, at the
	// end of every rebuild), as if the site it replaces will be kept as
	// the spare, and put in place only once the site is published and it
	// is (see below).
	type pendingCache struct {
		p   *mapfile.Pending
		err error
	}
	var cached chan pendingCache
	if w.next != nil {
		cached = make(chan pendingCache, 1)
		go func() {
			c := w.cache(out, exe, exeSum, prev, prev != nil)
			p, err := mapfile.WritePending(opts.Cache, func(w io.Writer) error { return encodeCache(w, c) })
			cached <- pendingCache{p, err}
		}()
		defer func() {
			if cached != nil { // not put in place
				if pc := <-cached; pc.err == nil {
					pc.p.Discard()
				}
			}
		}()
	}
	err = w.sweepExport()
	if err == nil {
		err = w.stampDirs()
	}
	close(w.stamped) // the cache file's encoding waits for it
	if err != nil {
		return st, fmt.Errorf("build directory: %w", err)
	}
	st.Files, st.Bytes, st.Pages, st.Reused = w.files, w.bytes, w.pages, w.reused
	st.Keyed, st.Made = int(w.keyedPages.Load()), int(w.madePages.Load())
	if testHookPublish != nil {
		if err := testHookPublish(); err != nil {
			return st, err
		}
	}
	if err := publish(tmp, out); err != nil {
		return st, err
	}
	s.work.add(kindWrite, start)
	st.Work = s.work.buildStages(s.loadWork, from)
	for _, t := range []Stage{{"index", w.indexTime}, {"export", w.exportTime}} {
		if t.Time > 0 {
			st.Work = append(st.Work, t)
		}
	}
	if w.next != nil {
		// tmp holds the site just replaced, which prev describes, as far
		// as it goes: the next build's spare. An error in either step
		// leaves less to reuse, never a wrong file (see cache.go), and
		// the cache file is then written again, without the spare.
		kept := prev != nil && os.RemoveAll(spare) == nil && os.Rename(tmp, spare) == nil
		pc := <-cached
		cached = nil
		err := pc.err
		if err == nil && kept == (prev != nil) {
			err = pc.p.Replace()
		} else if err == nil {
			pc.p.Discard()
		}
		if err != nil || kept != (prev != nil) {
			_ = writeCache(opts.Cache, w.cache(out, exe, exeSum, prev, kept))
		}
	}
	st.Stages = append(st.Stages, Stage{"publish", time.Since(start)})
	return st, nil
}

// cache returns the build cache of w's site, published at out, by the
// executable exe of hash exeSum; with kept, the site the previous build
// published, which prev describes, is its spare.
func (w *writer) cache(out string, exe cachedFile, exeSum cacheKey, prev *buildCache, kept bool) *buildCache {
	c := &buildCache{
		Format: cacheFormat, Out: out, Exe: exe, ExeSum: exeSum, Search: w.search, Lists: w.lists,
		Recorded: w.next, recordedApart: w.exportFiles,
		dirs: func() (map[string]dirMTime, []byte) {
			<-w.stamped
			return w.seen, w.seenRaw
		},
	}
	if kept {
		c.Spare = prev.Files
		c.SpareDirs, c.spareDirsRaw = prev.Dirs, prev.dirsRaw
	}
	return c
}

func (s *Site) write(ctx context.Context, w *writer, opts BuildOptions, st *Stats) error {
	st.Articles = len(s.Articles)
	stage := func(name string, start time.Time) {
		st.Stages = append(st.Stages, Stage{name, time.Since(start)})
	}

	start := time.Now()
	tpl, err := s.loadTemplates()
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	view := s.siteView(opts.Generator)
	tplTime := time.Since(start)

	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	// The search index is built and exported beside the page rendering:
	// much of bleve's work and of the export runs on one goroutine, and
	// the pages name only the search directory, whose entry the export
	// writes. The export's version is a hash of the index's input, so the
	// build cache knows before indexing whether it can keep the previous
	// export. The documents are made and hashed on that goroutine too:
	// the pages do not wait for them (15-18 ms at 10,000 generated
	// articles, in four one-article rebuilds timed with temporary
	// instrumentation).
	view.IndexURL = view.BasePath + "search/"
	type searchResult struct {
		err  error
		time time.Duration
	}
	searchDone := make(chan searchResult, 1)
	progress("indexed", 0, len(s.Articles))
	go func() {
		start := time.Now()
		sums := make([]search.Sum, len(s.Articles))
		for i, p := range s.Articles {
			sums[i] = p.searchSum
		}
		docs := search.HashKnown(s.searchDocs(), sums).Complete(s.completeDoc)
		version := docs.Version()
		w.search = version // read once searchDone is received
		err := s.searchOutput(ctx, w, opts.IndexDir, docs, version)
		progress("indexed", len(s.Articles), len(s.Articles))
		searchDone <- searchResult{err, time.Since(start)}
	}()

	// The index is updated while the spare's files are listed: at 10,000
	// articles that takes a third of a second, and the search index, not
	// the pages, is what an edited rebuild waits for. Every file the
	// build writes waits for the list (see writer.survey).
	start = time.Now()
	w.survey()
	pagesErr := w.waitSurvey()
	stage("survey", start)
	start = time.Now()
	if pagesErr == nil {
		pagesErr = s.writeAssets(w, tpl, view)
	}
	st.Stages = append(st.Stages, Stage{"templates", tplTime + time.Since(start)})
	if pagesErr == nil {
		pagesErr = s.writePages(ctx, w, tpl, view, progress, stage)
	}
	if pagesErr == nil {
		// The spare's files that are not the search export's are swept
		// while the search finishes (see sweepSite).
		if err := w.sweepSite(); err != nil {
			pagesErr = fmt.Errorf("build directory: %w", err)
		}
	}
	// Always wait: Build must not return while the export still writes.
	start = time.Now()
	res := <-searchDone
	if pagesErr != nil {
		return pagesErr
	}
	if res.err != nil {
		return fmt.Errorf("search index: %w", res.err)
	}
	// "search" is the index and export's own time, overlapping the
	// page stages; "search-wait" is what the build waited for it after.
	st.Stages = append(st.Stages, Stage{"search", res.time})
	stage("search-wait", start)
	return nil
}

// writePages writes the article pages in parallel, then the list pages,
// feeds and the content's other files.
func (s *Site) writePages(ctx context.Context, w *writer, tpl *render.Templates, view *render.Site,
	progress func(string, int, int), stage func(string, time.Time)) error {
	start := time.Now()
	var mu sync.Mutex
	var firstErr error
	var rendered atomic.Int64
	// What every page shows of the site (pageDeps): the list pages, and
	// the article pages, which may be given no counts (writeArticle).
	var deps, articleDeps cacheKey
	if w.next != nil {
		deps = s.pageDeps(w.salt, view, true)
		articleDeps = s.pageDeps(w.salt, view, tpl.Refers("article.html", "Count"))
	}
	s.work.parallel(len(s.Articles), func(i int) {
		if ctx.Err() != nil {
			return
		}
		p := s.Articles[i]
		if w.next != nil && w.fromDep(p.URL+"index.html", s.articleDep(articleDeps, p)) {
			progress("rendered", int(rendered.Add(1)), len(s.Articles))
			return
		}
		full, err := s.fill(p)
		if err == nil {
			err = s.writeArticle(w, tpl, view, full)
		}
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("render %s: %w", p.Path, err)
			}
			mu.Unlock()
		}
		progress("rendered", int(rendered.Add(1)), len(s.Articles))
	})
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	stage("articles", start)

	start = time.Now()
	listsReused := false
	if w.next != nil {
		w.lists = s.listsDep(deps)
		listsReused = w.reuseLists()
	}
	if !listsReused {
		if err := s.writeLists(w, tpl, view, s.summaries()); err != nil {
			return err
		}
	}
	if err := s.writeFeeds(w, view); err != nil {
		return err
	}
	if err := s.copyContentFiles(w); err != nil {
		return err
	}
	stage("lists", start)
	return nil
}

// writeAssets writes the templates' assets and the highlighting stylesheet
// under assets/, each with a content hash in its name so that caches never
// serve a stale copy, and records their URLs in view.Assets.
func (s *Site) writeAssets(w output, tpl *render.Templates, view *render.Site) error {
	assets := tpl.Assets()
	var names []string
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("assets: %w", err)
	}
	slices.Sort(names)
	mf := newMinifier()
	put := func(name string, data []byte) error {
		data, err := mf.minify(name, data)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(name)
		hashed := "assets/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
		view.Assets[name] = view.BasePath + hashed
		return w.write(hashed, data)
	}
	for _, name := range names {
		data, err := fs.ReadFile(assets, name)
		if err != nil {
			return fmt.Errorf("assets: %w", err)
		}
		if err := put(name, data); err != nil {
			return err
		}
	}
	var css bytes.Buffer
	if err := highlight.CSS(&css); err != nil {
		return err
	}
	return put("chroma.css", css.Bytes())
}

// searchOutput puts the search export of version in w's directory: the
// previous build's, linked, when it had the same version and the index in
// indexDir is still of that version; otherwise a new one (writeSearch).
// The file versionMarker(indexDir) names the version of the index in
// indexDir; it is removed before the index changes and written again once the index is
// closed whole, so it never names another index or an unfinished one.
func (s *Site) searchOutput(ctx context.Context, w *writer, indexDir string, docs *search.Hashed, version string) error {
	marker := versionMarker(indexDir)
	if indexDir != "" {
		if b, err := os.ReadFile(marker); err == nil && string(b) == version {
			if err := w.waitSurvey(); err != nil {
				return err
			}
			// The export published is the one wanted. It is linked
			// into the spare, unless the spare has an export of its
			// own, of the version before: that is the case in the
			// first build after a change that leaves the search as it
			// was (the spare is the site of two builds before), and
			// the export below, made over it, keeps all but the few
			// files that differ, where linking every file and removing
			// the spare's made the build take 0.42-0.44 s against 0.21 s
			// at 10,000 articles.
			if _, based := w.spareBase(version); !based && w.reuseSearch(version) {
				return w.removeOtherExports(version)
			}
		}
		if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	sums, err := s.writeSearch(ctx, w, indexDir, docs, version)
	if err != nil {
		return err
	}
	if err := w.removeOtherExports(version); err != nil {
		return err
	}
	// The marker is written once the index is closed (see writeSearch).
	return w.recordSearch(version, sums)
}

// versionMarker is the file that names the version of the index in
// indexDir (see searchOutput).
func versionMarker(indexDir string) string { return indexDir + ".version" }

// writeSearch builds the bleve index from the published articles and
// exports it under search/<version>/ for the browser. It returns the
// SHA-256 of the exported files, by name below search/<version>/.
func (s *Site) writeSearch(ctx context.Context, w *writer, indexDir string, docs *search.Hashed, version string) (map[string]search.Sum, error) {
	// With the build cache, the index in indexDir is brought up to date
	// rather than rebuilt: only new and changed articles are analysed;
	// and the files of the export that did not change are taken from
	// the spare's or the previous build's export.
	var ix *search.Index
	var err error
	start := time.Now()
	switch {
	case w.next != nil:
		ix, err = docs.Update(ctx, indexDir, s.earlierDocs())
	case indexDir != "":
		// Without the cache the index is made afresh, but with the
		// documents' hashes, and the export below with its state: it is
		// what kbgen serve and the next build start from. Without them
		// kbgen serve made its first export in full, 18 s at 10,000
		// articles.
		ix, err = docs.Build(ctx, indexDir)
	default:
		ix, err = search.Build(indexDir, docs.Docs())
	}
	if err != nil {
		return nil, err
	}
	w.indexTime = time.Since(start)
	err = w.waitSurvey()
	if err == nil {
		err = w.checkSpareExport(version)
	}
	var sums map[string]search.Sum
	if err == nil {
		reuse, base := w.exportReuse(version)
		if reuse == nil && indexDir != "" {
			// Nothing to take, but every file hashed: the state records
			// the export's files by their hashes.
			reuse = takeNothing
		}
		start := time.Now()
		sums, err = ix.ExportAs(filepath.Join(w.dir, "search"), version, base, reuse)
		w.exportTime = time.Since(start)
	}
	if err != nil {
		ix.Close()
		return nil, err
	}
	// Closing the index writes the export's state for the next build
	// and, after an update, the index's keys (see search.Index.Close),
	// which nothing in this build reads: it runs beside the rest of the
	// build, and Build waits for it last. Only then does the marker (see
	// searchOutput) name the index's version: a build stopped before
	// would otherwise leave a marker for an index without its keys, which
	// kbgen search cannot open and the next build would not rebuild. An
	// error in Close leaves no marker, and the next build updates the
	// index, or rebuilds it.
	w.indexClosed = make(chan struct{})
	go func() {
		defer close(w.indexClosed)
		if ix.Close() == nil && indexDir != "" {
			_ = os.WriteFile(versionMarker(indexDir), []byte(version), 0o644)
		}
	}()
	return sums, nil
}

func (s *Site) searchDoc(p *Page) search.Doc {
	if p.entry != nil {
		// Loaded hollow: what the facts hold; the search asks for the
		// rest if it indexes the document (see completeDoc).
		return search.Doc{ID: p.URL, Title: p.Title, ErrorText: p.ErrorText, Lang: p.Lang, Tags: p.Tags, Codes: p.Codes, UpdatedAt: p.UpdatedAt}
	}
	d := search.Doc{
		ID:        p.URL,
		Title:     p.Title,
		ErrorText: p.ErrorText,
		Lang:      p.Lang,
		Tags:      p.Tags,
		Codes:     p.Codes,
		Body:      p.Doc.Text,
		UpdatedAt: p.UpdatedAt,
	}
	for _, h := range p.Doc.Headings {
		d.Headings = append(d.Headings, h.Text)
	}
	if len(p.Sections) > 0 {
		d.Summary = p.Sections[0].Text
	}
	return d
}

// copyContentFiles publishes the files under content/ that are not
// articles (images, attachments) at their path below content/: those the
// load found (Site.others), or, for a Site that Update made, those found
// by walking content/ now.
func (s *Site) copyContentFiles(w *writer) error {
	if s.walked {
		for _, p := range s.others {
			data, err := fs.ReadFile(s.FS, p)
			if err != nil {
				return err
			}
			if err := w.write(strings.TrimPrefix(p, ContentDir+"/"), data); err != nil {
				return err
			}
		}
		return nil
	}
	return fs.WalkDir(s.FS, ContentDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != ContentDir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || strings.HasSuffix(name, ".md") {
			return nil
		}
		data, err := fs.ReadFile(s.FS, p)
		if err != nil {
			return err
		}
		return w.write(strings.TrimPrefix(p, ContentDir+"/"), data)
	})
}

// writer writes files below dir and counts them. With a build cache
// (prev, next non-nil) it links files of the previous build instead of
// writing them again where it can, and records what it writes for the
// next build (see cache.go). It is safe for concurrent use.
type writer struct {
	dir  string
	work *work // the Site's, which writeFile, link and templates add to

	prev    *buildCache // the previous build's cache, or nil
	prevDir string      // the output directory prev describes
	// root and prevRoot stat the files of dir and prevDir (linkFile);
	// they are opened when prev is not nil. exportRoot stats the files
	// of the search export that exportReuse takes, once the first names
	// its directory (exportUnchanged).
	root, prevRoot dirRoot
	exportRoot     dirRoot
	exportRootOnce sync.Once
	// spare describes the files dir held when the build started, as
	// far as known (see cache.go); spareListing lists them all, and
	// the directories, found by survey. Both are empty when dir started
	// empty, and read-only after survey.
	spare fileTable
	spareListing
	// kept marks the files of spareListing that the build kept or
	// cleared (see sweepSite).
	kept    []atomic.Bool
	seen    map[string]dirMTime // the spare's directories' stamps, as its listing saw them (see knownTree), then with those stampDirs adds
	seenRaw []byte              // seen encoded (encodeDirs)
	unseen  []string            // the spare's directories without a stamp in seen, as listed
	salt    cacheKey            // hashed into every page key
	search  string              // version of the search export written
	lists   cacheKey            // what the list pages depend on (listsDep); set before they are written
	// dirs holds the directories this build made (true) and those of
	// the spare it removed (false), by path: string → bool (see hasDir).
	dirs sync.Map
	// deps holds what each article page depends on (articleDep), by
	// name: string → cacheKey, recorded with the file however it is
	// made or reused.
	deps sync.Map
	// taken holds the files exportReuse put in place, by name below
	// the export's version, as described.
	takenMu sync.Mutex
	taken   map[string]cachedFile

	// listed, if not nil, is the spare's listing made while the site
	// loaded, and listedStamp the spare's stamp just before it was
	// renamed to dir; survey takes the listing if the stamps agree.
	listed      *SpareList
	listedStamp fileStamp

	// indexTime and exportTime are how long the search index took to
	// build or update and its export to make, if they were (see
	// writeSearch); read after the search is done.
	indexTime, exportTime time.Duration

	// export is the version of the search export once the directories
	// of the others are removed (removeOtherExports), else "".
	export string

	// surveyed is closed when survey is done, and surveyErr is its
	// error; the search export, which starts before it, waits for it
	// (waitSurvey).
	surveyed  chan struct{}
	surveyErr error

	// stamped is closed once stampDirs has added the stamps of the
	// directories it takes to seen, or the build ends without them.
	stamped chan struct{}

	// indexClosed, if not nil, is closed when the search index, closed
	// beside the end of the build, is (see writeSearch).
	indexClosed chan struct{}

	mu   sync.Mutex
	next map[string]cachedFile // nil without a cache
	// exportFiles are the files of the search export, recorded apart
	// from next (see recordSearch); with next, the files of the site.
	exportFiles []namedFile
	files       int
	pages       int
	reused      int // files linked from the previous build
	bytes       int64

	keyedPages atomic.Int64 // pages whose key was made
	madePages  atomic.Int64 // pages made from their templates
}

// write writes data to name, a slash-separated path below w.dir.
func (w *writer) write(name string, data []byte) error {
	if w.next == nil {
		return w.writeFile(name, data, cacheKey{}, cacheKey{})
	}
	sum := cacheKey(sha256.Sum256(data))
	if w.link(name, func(c cachedFile) bool { return c.Sum == sum }, nil) {
		return nil
	}
	return w.writeFile(name, data, cacheKey{}, sum)
}

// writeFile writes data to name and, with a cache, records it under key
// and sum.
func (w *writer) writeFile(name string, data []byte, key, sum cacheKey) error {
	defer w.work.add(kindWrite, time.Now())
	full := filepath.Join(w.dir, filepath.FromSlash(name))
	if err := w.mkdir(filepath.Dir(full)); err != nil {
		return err
	}
	if err := w.clear(name, full); err != nil {
		return err
	}
	// One write of the whole file: data is complete in memory, so a
	// buffer in between only costs a copy (measured: 7% of a build's CPU
	// at 10,000 articles, with the page buffer pool below).
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// An *fs.PathError that names the file and the cause already:
		// "write /srv/.public.new-123/ja/x/index.html: no space left on device".
		return err
	}
	var c cachedFile
	if w.next != nil {
		if sum == (cacheKey{}) {
			sum = sha256.Sum256(data)
		}
		if c, err = describe(full, key, sum); err != nil {
			return err
		}
		c.Dep = w.depOf(name, key)
	}
	w.mu.Lock()
	if w.next != nil {
		w.next[name] = c
	}
	w.files++
	w.bytes += int64(len(data))
	if strings.HasSuffix(name, ".html") {
		w.pages++
	}
	w.mu.Unlock()
	return nil
}

// mkdir creates dir and its parents unless this writer already did: a
// site is tens of thousands of files in thousands of directories, and
// MkdirAll costs a system call or two even when the directory exists.
func (w *writer) mkdir(dir string) error {
	if w.hasDir(dir) {
		return nil
	}
	// Nearly every directory is new and its parent already made: one
	// Mkdir does it, where MkdirAll would first stat the directory and
	// its parent. Anything else (a missing parent, a directory made as
	// a parent of another) is left to MkdirAll.
	if err := os.Mkdir(dir, 0o755); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			// A file of the spare where this site has a directory:
			// clear it and try again.
			if !w.clearFileIn(dir) {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	w.dirs.Store(dir, true)
	return nil
}

// page executes template name with data and writes it to file.
func (w *writer) page(tpl *render.Templates, file, name string, data any) error {
	var key cacheKey
	if w.next != nil {
		key = pageKey(w.salt, name, data)
		w.keyedPages.Add(1)
	}
	return w.keyed(file, key, func(buf *bytes.Buffer) error {
		t := time.Now()
		err := tpl.Execute(buf, name, data)
		w.work.add(kindTemplates, t)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		return nil
	})
}

func (w *writer) lazyPage(tpl *render.Templates, file, name string, inputs any, extra func() []byte, makeData func() (any, error)) error {
	var key cacheKey
	if w.next != nil {
		key = pageKey(w.salt, name, inputs, extra())
		w.keyedPages.Add(1)
	}
	return w.keyed(file, key, func(buf *bytes.Buffer) error {
		data, err := makeData()
		if err != nil {
			return err
		}
		t := time.Now()
		err = tpl.Execute(buf, name, data)
		w.work.add(kindTemplates, t)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		return nil
	})
}

// keyed writes the page that fill writes into its buffer to file, unless
// the previous build published file from the same key: then it links that
// file and does not call fill.
func (w *writer) keyed(file string, key cacheKey, fill func(*bytes.Buffer) error) error {
	if key != (cacheKey{}) && w.link(file, func(c cachedFile) bool { return c.Key == key }, nil) {
		return nil
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer pageBuffers.Put(buf)
	buf.Reset()
	w.madePages.Add(1)
	if err := fill(buf); err != nil {
		return err
	}
	if w.next == nil {
		return w.writeFile(file, buf.Bytes(), key, cacheKey{})
	}
	// A page made again with the same bytes keeps its file, as write
	// keeps any other: its key moved with data it does not show. An
	// article added to the 10,000-article site wrote all 11,595 code
	// pages again, unchanged, for the counts in their data.
	sum := cacheKey(sha256.Sum256(buf.Bytes()))
	if w.link(file, func(c cachedFile) bool { return c.Sum == sum }, nil) {
		w.rekey(file, key)
		return nil
	}
	return w.writeFile(file, buf.Bytes(), key, sum)
}

// rekey records the file name, which link kept, under key: the key it
// was made with now, for the next build to find it by.
func (w *writer) rekey(name string, key cacheKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.next[name]
	c.Key = key
	w.next[name] = c
}

// pageBuffers holds buffers for executing page templates: a page is tens
// of kilobytes, and growing a fresh buffer for each of thousands of pages
// was a large share of a build's allocation.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Index builds the search index of the published articles in memory.
func (s *Site) Index() (*search.Index, error) {
	return search.Build("", s.searchDocs())
}

// completeDoc returns the whole search document of article i, which
// searchDocs made from the facts alone if it was loaded hollow (see
// facts.go): the search asks for it when it must index the document.
func (s *Site) completeDoc(i int) (search.Doc, error) {
	p, err := s.fill(s.Articles[i])
	if err != nil {
		return search.Doc{}, err
	}
	return s.searchDoc(p), nil
}

// earlierDocs returns the search documents of the earlier versions of the
// articles the load parsed again (Site.earlier), which the search update
// compares with what its index holds.
func (s *Site) earlierDocs() []search.Doc {
	var docs []search.Doc
	for _, p := range s.earlier {
		if !p.Draft {
			docs = append(docs, s.searchDoc(p))
		}
	}
	return docs
}

func (s *Site) searchDocs() []search.Doc {
	docs := make([]search.Doc, len(s.Articles))
	for i, p := range s.Articles {
		docs[i] = s.searchDoc(p)
	}
	return docs
}
