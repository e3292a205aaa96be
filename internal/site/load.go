package site

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/highlight"
	"github.com/kbgen/kbgen/internal/mapfile"
	"github.com/kbgen/kbgen/internal/markdown"
	"github.com/kbgen/kbgen/internal/render"
)

// ContentDir is the directory of the site root that holds the articles.
const ContentDir = "content"

// TemplatesDir is the directory of the site root whose files override the
// default templates and assets, file by file.
const TemplatesDir = "templates"

// Site is a loaded site: every article parsed and checked, with its URL, and
// the indexes the list pages are made from. A Site is read-only once Load
// returns, so its pages can be rendered concurrently.
type Site struct {
	Config   Config
	FS       fs.FS   // the site root
	base     string  // Config.BasePath(), which pages ask for per link, made once
	canon    string  // Config.BaseURL if it has a host, the start of every page's canonical URL; else ""
	Articles []*Page // published articles (drafts left out), sorted by URL

	byFile map[string]*Page         // content path → page, drafts included
	byURL  map[string]*Page         // URL → page
	tags   map[string][]*Page       // tag slug → pages
	codes  map[errcode.Code][]*Page // code → pages carrying it
	md     *markdown.Markdown

	// files holds what parsing each Markdown file under content/ gave, so
	// that Update re-parses only the files that changed (update.go).
	files   map[string]parsed
	opts    article.Options // how articles are parsed
	compact bool            // drop syntax trees after checking (see treeBudget)
	// links holds the link diagnostics of each article, by file. index
	// fills in what is missing; Update keeps the entries that a change
	// cannot have affected.
	links map[string]diag.List
	// targets holds where the links of each article whose links index
	// checked resolve, in the order of its Doc.Links (see linkTargets).
	targets map[*Page][]linkTarget
	stats   LoadStats // of the LoadWith that made the Site; zero after Update
	// others holds the files under content/ that are not articles, as
	// the load found them, if walked: the build publishes them without
	// walking content/ again (8 ms of CPU at 10,000 articles). Update
	// does not walk, and leaves walked false.
	others []string
	walked bool
	// earlier holds, by file, the version the parse cache held of each
	// article that the load parsed because it changed (nil after
	// Update): what the search update is told of the documents it
	// replaces (see earlierDocs).
	earlier  map[string]*Page
	work     *work                   // the load's and builds' time by kind of work; nil after Update
	loadWork [numKinds]time.Duration // work's totals when the load ended
}

// parsed is the outcome of parsing and checking one article file. page is
// nil when the file could not be read as an article. Both are shared by the
// Sites that Update derives, and never modified.
type parsed struct {
	page  *Page
	diags diag.List // the file's own problems: frontmatter, Markdown, schema
	keys  keyPositions
}

// Page is one article of the site.
type Page struct {
	*article.Article
	URL string // path relative to the base URL, ending in "/" ("ja/kms-activation-0xc004f074/")

	// When the load released the Doc's source (see release), what the
	// file read again must give: the body's length and SHA-256.
	bodyLen int
	bodySum cacheKey
	// fileSum is the SHA-256 of the article's file as parsed (see
	// articleDep); zero if not known.
	fileSum cacheKey
	// searchSum is the hash of the page's search document (searchDoc,
	// search.Doc.Sum), kept in the parse cache so that a build hashes
	// only the documents of the articles it parsed (search.HashKnown);
	// zero if not known.
	searchSum cacheKey
	// summarySum is the hash of what the list pages show of the page
	// (summarySum), kept in the parse cache beside searchSum so that a
	// build with the build cache makes and hashes the summaries of the
	// articles it parsed only (listsDep); zero if not known.
	summarySum cacheKey
	// entry, for a page loaded hollow (see facts.go), is its parse cache
	// entry, from which fill restores the article when a build must make
	// its page after all; nil for every other page. A hollow page's
	// article holds its frontmatter, path and codes only, and linksSum
	// where its links resolved when the facts were written.
	entry    []byte
	linksSum cacheKey
}

// Load reads every Markdown file under content/ in fsys, parses and checks
// them in parallel, assigns URLs and checks the links between articles. It
// returns the diagnostics of every file; the Site is usable for building
// only when none of them is an error.
func Load(ctx context.Context, fsys fs.FS, cfg Config) (*Site, diag.List, error) {
	return LoadWith(ctx, fsys, cfg, LoadOptions{})
}

// LoadWith is Load with options: with a parse cache, the files that did not
// change since the load that wrote it are restored rather than parsed, and
// the cache file is then rewritten for this load's files (see
// parsecache.go). The Site and the diagnostics are the same with or without
// the cache; a cache file that cannot be read or written only costs time.
func LoadWith(ctx context.Context, fsys fs.FS, cfg Config, lo LoadOptions) (*Site, diag.List, error) {
	start := time.Now()
	type mdFile struct {
		path  string
		entry fs.DirEntry
	}
	var found []mdFile
	var others []string // the content's other files (copyContentFiles)
	err := fs.WalkDir(fsys, ContentDir, func(p string, d fs.DirEntry, err error) error {
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
		if !d.IsDir() {
			if strings.HasSuffix(name, ".md") {
				found = append(found, mdFile{p, d})
			} else {
				others = append(others, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// The walk's order is not sorted order ("ja-x/" comes after "ja/").
	slices.SortFunc(found, func(a, b mdFile) int { return strings.Compare(a.path, b.path) })
	// Each file's stamp takes a system call (DirEntry.Info), made on every
	// core rather than by the walk: at 10,000 generated articles the walk
	// took 80-95 ms with them, and walk and stamps now take 25-40 ms, on
	// two cores (timed in one-article rebuilds).
	files, stamps := make([]string, len(found)), make([]fileStamp, len(found))
	var total atomic.Int64 // bytes of Markdown
	parallel(len(found), func(i int) {
		files[i] = found[i].path
		if fi, err := found[i].entry.Info(); err == nil {
			total.Add(fi.Size())
			stamps[i] = stampOf(fi)
		}
	})

	var langs []string
	for _, l := range cfg.Languages {
		langs = append(langs, l.Code)
	}
	s := &Site{
		Config: cfg,
		base:   cfg.BasePath(),
		canon:  cfg.canonicalBase(),
		FS:     fsys,
		byFile: make(map[string]*Page),
		byURL:  make(map[string]*Page),
		tags:   make(map[string][]*Page),
		codes:  make(map[errcode.Code][]*Page),
		md: markdown.New(markdown.Config{
			Highlighter: highlight.New(),
			Unsafe:      cfg.UnsafeHTML,
			ReservedIDs: render.ReservedIDs(),
		}),
	}
	opts := article.Options{
		Markdown:    s.md,
		Languages:   langs,
		DefaultLang: cfg.DefaultLang,
		Related:     cfg.Schema.Related,
		Aliases:     cfg.Aliases,
		Imported:    cfg.Imported,
	}

	s.opts = opts
	s.others, s.walked = others, true
	s.work = new(work)
	s.compact = total.Load() > treeBudget || lo.compact
	var cache *parseCache
	if lo.ParseCache != "" {
		cache = s.openParseCache(lo.ParseCache, len(files))
	}
	if cache != nil {
		switch lo.stamps {
		case stampsSettled:
			cache.cutoff = start.Add(-stampSettle).UnixNano()
		case stampsAll:
			cache.cutoff = math.MaxInt64
		case stampsNone:
			cache.cutoff = math.MinInt64
		}
	}
	var facts []fact
	if cache != nil && cache.old != nil && lo.Hollow {
		if data, err := mapfile.Map(factsPath(lo.ParseCache)); err == nil {
			facts, _ = decodeFacts(data, cache.salt, files)
		}
	}
	var results []parsed
	if facts != nil {
		results, err = s.loadHollow(ctx, files, stamps, cache, facts)
	} else {
		results, err = s.parseFiles(ctx, files, stamps, cache, nil, nil)
	}
	if err != nil {
		return nil, nil, err
	}
	s.stats.Files = len(files)
	var written chan struct{}
	if cache != nil {
		s.stats.Restored = int(cache.restored.Load())
		// An error leaves the previous cache file, or none: the next
		// load parses more, never wrongly. The file is written beside
		// index, which runs on one core: at 10,000 generated articles
		// it is 63 MB, and writing it took 20-40 ms of a one-article
		// rebuild.
		written = make(chan struct{})
		go func() {
			defer close(written)
			_ = cache.write(files)
		}()
	}
	s.files = make(map[string]parsed, len(files))
	for i, f := range files {
		s.files[f] = results[i]
		if cache != nil && cache.earlier[i] != nil {
			if s.earlier == nil {
				s.earlier = make(map[string]*Page)
			}
			s.earlier[f] = cache.earlier[i]
		}
	}
	t := time.Now()
	diags := s.index()
	s.work.add(kindValidate, t)
	if cache != nil && lo.Hollow && s.stats.Hollow < len(files) {
		// Only a load without a problem leaves facts: the next one can
		// then tell from them alone that its hollow articles have none.
		// A load that made every article hollow leaves them as they are.
		name := factsPath(lo.ParseCache)
		if data, ok := s.encodeFacts(cache.salt, files, facts); !ok || len(diags) > 0 || writeFacts(name, data) != nil {
			os.Remove(name) // no facts rather than another load's
		}
	}
	s.loadWork = s.work.totals()
	if written != nil {
		<-written
	}
	return s, diags, nil
}

// loadHollow loads the articles of files as parseFiles does, but, as the
// facts of the last load allow, most of them hollow (see facts.go): it
// parses or restores first those whose stamps cache does not hold, and
// if each of them shows the other pages what facts recorded, and has no
// problem, and the files the others' links name are all there, it makes
// every other article from its facts; otherwise it restores those too.
func (s *Site) loadHollow(ctx context.Context, files []string, stamps []fileStamp, cache *parseCache, facts []fact) ([]parsed, error) {
	changed, kept := []int{}, []int{} // not nil: parseFiles loads none of an empty list
	for i, name := range files {
		// The entry must be the version the facts describe: a load that
		// writes no facts (kbgen check) may have replaced it since.
		if e, ok := cache.old[name]; ok && stamps[i] != (fileStamp{}) && e.stamp == stamps[i] && e.sum == facts[i].fileSum {
			kept = append(kept, i)
		} else {
			changed = append(changed, i)
		}
	}
	results := make([]parsed, len(files))
	if _, err := s.parseFiles(ctx, files, stamps, cache, results, changed); err != nil {
		return nil, err
	}
	hollow := func() []*Page {
		for _, i := range changed {
			if len(results[i].diags) > 0 || !facts[i].same(results[i].page) {
				return nil
			}
		}
		pages := make([]*Page, len(kept))
		for k, i := range kept {
			// A file one of its links names, not an article, was there
			// when the facts were written; if it is gone, the link is
			// broken.
			for _, f := range facts[i].files {
				if _, err := fs.Stat(s.FS, f); err != nil {
					return nil
				}
			}
			if pages[k] = facts[i].hollow(cache.old[files[i]].blob); pages[k] == nil {
				return nil
			}
		}
		return pages
	}
	pages := hollow()
	if len(pages) == 0 {
		return s.parseFiles(ctx, files, stamps, cache, results, kept)
	}
	if s.links == nil {
		s.links = make(map[string]diag.List, len(files))
	}
	for k, i := range kept {
		results[i] = parsed{page: pages[k]}
		// The entry stays in the cache file as it is.
		cache.entries[i] = cache.old[files[i]]
		cache.restored.Add(1)
		s.links[files[i]] = nil // none: see facts.go
	}
	s.stats.Hollow = len(kept)
	return results, nil
}

// LoadStats returns the figures of the LoadWith that made s, or zero for a
// Site that Update made.
func (s *Site) LoadStats() LoadStats { return s.stats }

// parseFiles reads, parses and checks files in parallel, restoring those
// that cache (which may be nil) holds unchanged: without reading them if
// their stamps (nil: none known) are the cache's. Results land at the
// file's index, in results if not nil, so that the outcome does not
// depend on scheduling; only, if not nil, lists the indexes of the files
// to load, the others being left as they are.
func (s *Site) parseFiles(ctx context.Context, files []string, stamps []fileStamp, cache *parseCache, results []parsed, only []int) ([]parsed, error) {
	if results == nil {
		results = make([]parsed, len(files))
	}
	n := len(files)
	if only != nil {
		n = len(only)
	}
	var firstErr error
	var errOnce sync.Once
	s.work.parallel(n, func(i int) {
		if ctx.Err() != nil {
			return
		}
		if only != nil {
			i = only[i]
		}
		t := time.Now()
		var stamp fileStamp
		if stamps != nil {
			stamp = stamps[i]
		}
		if cache != nil {
			if p, ok := cache.restoreStamped(s, i, files[i], stamp); ok {
				s.work.add(kindRestore, t)
				results[i] = p
				return
			}
			t = time.Now() // a miss is a map lookup
		}
		src, err := fs.ReadFile(s.FS, files[i])
		if err != nil {
			errOnce.Do(func() { firstErr = err })
			return
		}
		sum := cacheKey(sha256.Sum256(src)) // the parse cache's key and the page's fileSum
		t = s.work.add(kindRead, t)
		restored := false
		if cache != nil {
			if results[i], restored = cache.restore(s, i, files[i], src, sum, stamp.settled(cache.cutoff)); restored {
				s.work.add(kindRestore, t)
			}
		}
		if !restored {
			results[i] = s.parse(files[i], src, sum)
			if cache != nil {
				if p := results[i].page; p != nil {
					d := s.searchDoc(p)
					p.searchSum = d.Sum()
					p.summarySum = s.summarySum(p)
				}
				cache.store(i, files[i], src, results[i])
				cache.keepEarlier(s, i, files[i])
			}
		}
		// After store, which encodes the Doc's source.
		if s.compact {
			release(results[i].page)
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

// parse parses and checks one article file, whose content src has the
// SHA-256 sum, and gives it its URL.
func (s *Site) parse(file string, src []byte, sum cacheKey) parsed {
	t := time.Now()
	a, diags := article.Parse(file, src, s.opts)
	t = s.work.add(kindParse, t)
	if a == nil {
		return parsed{diags: diags}
	}
	diags = append(diags, s.Config.Schema.Check(a)...)
	s.work.add(kindValidate, t)
	if s.compact {
		compact(a)
	}
	return parsed{page: &Page{Article: a, URL: articleURL(a.Path, a.Lang), fileSum: sum}, diags: diags, keys: findKeys(file, src, a.BodyLine)}
}

// index builds the site's pages and indexes from s.files, in file order, and
// returns the diagnostics of the whole site: every file's own, then those
// that need the whole site (URL clashes, links), sorted.
func (s *Site) index() diag.List {
	files := make([]string, 0, len(s.files))
	for f := range s.files {
		files = append(files, f)
	}
	slices.Sort(files)
	var diags diag.List
	for _, f := range files {
		diags = append(diags, s.files[f].diags...)
	}
	s.Articles = nil
	s.byFile = make(map[string]*Page, len(files))
	s.byURL = make(map[string]*Page, len(files))
	s.tags = make(map[string][]*Page)
	// About as many codes as articles, most with one article each. At
	// 10,000 generated articles filling the map was 9 ms of CPU in a dev
	// server's rebuild, and sizing it first took the rebuild from a
	// median 36.1 to 34.7 ms (BenchmarkUpdate, five runs each,
	// alternately).
	s.codes = make(map[errcode.Code][]*Page, len(files))
	if s.links == nil {
		s.links = make(map[string]diag.List, len(files))
	}
	s.targets = make(map[*Page][]linkTarget, max(0, len(files)-len(s.links)))

	for _, f := range files {
		p := s.files[f].page
		if p == nil {
			continue
		}
		s.byFile[p.Path] = p
		if other, dup := s.byURL[p.URL]; dup {
			diags.Errorf(diag.Pos{File: p.Path, Line: 1, Col: 1},
				"URL /%s is already the URL of %s: rename one of the files", p.URL, other.Path)
			continue
		}
		s.byURL[p.URL] = p
		if p.Draft {
			continue
		}
		s.Articles = append(s.Articles, p)
	}
	slices.SortFunc(s.Articles, func(a, b *Page) int { return strings.Compare(a.URL, b.URL) })
	s.resolveAll()
	// A site has far fewer tags than articles with tags: each is made a
	// slug once. Making one twice for every tag of every article was 8 ms
	// of CPU in a dev server's rebuild at 10,000 generated articles
	// (BenchmarkUpdate: 40-41 ms a rebuild now, 46-47 ms then).
	slugs := make(map[string]string)
	for _, p := range s.Articles {
		for _, t := range p.Tags {
			k, ok := slugs[t]
			if !ok {
				k = slug(t)
				slugs[t] = k
			}
			s.tags[k] = append(s.tags[k], p)
		}
		for _, c := range p.Codes {
			s.codes[c] = append(s.codes[c], p)
		}
		l, ok := s.links[p.Path]
		if !ok {
			l = s.checkLinks(p, s.targets[p])
			s.links[p.Path] = l
		}
		diags = append(diags, l...)
	}
	diags.Sort()
	return diags
}

// resolveAll resolves the links of every article whose links index has
// yet to check into s.targets, in parallel: resolution was most of
// index's work in a one-article rebuild at 10,000 generated articles (41
// of its 57 ms of CPU in twelve rebuilds' profiles), and the other core
// was idle through it (timed with temporary instrumentation).
func (s *Site) resolveAll() {
	var need []*Page
	for _, p := range s.Articles {
		if _, ok := s.links[p.Path]; !ok {
			need = append(need, p)
		}
	}
	targets := make([][]linkTarget, len(need))
	const chunk = 256 // articles a goroutine takes at once
	parallel((len(need)+chunk-1)/chunk, func(c int) {
		for i := c * chunk; i < min(len(need), (c+1)*chunk); i++ {
			targets[i] = s.resolveLinks(need[i])
		}
	})
	for i, p := range need {
		s.targets[p] = targets[i]
	}
}

// compact drops what the build does not read of a checked article on a
// site above treeBudget: the syntax tree (markdown.Doc.Compact; rendering
// parses the source again).
func compact(a *article.Article) {
	a.Doc.Compact()
}

// release drops the Markdown source of p's article on a site above
// treeBudget, keeping its length and hash: rendering reads the file again
// (Site.renderable). Sources are a fifth of such a site's live heap.
func release(p *Page) {
	if p == nil || p.Doc.Released() {
		return
	}
	src := p.Doc.Source()
	p.bodyLen, p.bodySum = len(src), sha256.Sum256(src)
	p.Doc.Release()
}

// renderable returns p's Doc, ready to render: p.Doc itself, or, if the
// load released its source, a Doc restored from the file read again,
// which must hold the body that was checked.
func (s *Site) renderable(p *Page) (*markdown.Doc, error) {
	if !p.Doc.Released() {
		return p.Doc, nil
	}
	defer s.work.add(kindParse, time.Now())
	src, err := fs.ReadFile(s.FS, p.Path)
	if err != nil {
		return nil, err
	}
	norm := article.Normalize(src)
	if p.bodyLen > len(norm) || sha256.Sum256(norm[len(norm)-p.bodyLen:]) != p.bodySum {
		return nil, fmt.Errorf("%s: changed while the site was being built; build again", p.Path)
	}
	return s.md.Restore(norm[len(norm)-p.bodyLen:], *p.Doc), nil
}

// sourceSum returns the SHA-256 of p's Markdown body.
func (p *Page) sourceSum() cacheKey {
	if p.Doc.Released() {
		return p.bodySum
	}
	return sha256.Sum256(p.Doc.Source())
}

// treeBudget is the most Markdown source, in bytes, whose syntax trees a
// build keeps from validation to rendering, so that each article is parsed
// once. Trees take about fourteen times their source: 64 MB of Markdown
// (some 9,000 articles like the seed) is about 900 MB of trees. A larger
// site drops each tree once the article is checked and parses it again to
// render it (markdown.Doc.Compact), which keeps memory flat as the corpus
// grows at the cost of a second parse, about 4% of build time. It drops
// the Markdown source too (release) and reads the file again to render it.
const treeBudget = 64 << 20

// articleURL maps a content path to the article's URL: the language, then
// the path below content/ (without a leading language directory, so that
// content/ja/x.md and an imported content/docs/x.md with lang ja both live
// under ja/), lower-cased, without .md.
func articleURL(file, lang string) string {
	rel := strings.TrimPrefix(file, ContentDir+"/")
	rel = strings.TrimPrefix(rel, lang+"/")
	rel = strings.TrimSuffix(rel, ".md")
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = slug(p)
	}
	return lang + "/" + strings.Join(parts, "/") + "/"
}

// slug turns a name into a URL path segment: lower case, spaces and
// characters that need escaping in a path turned into "-". Letters of any
// script are kept, so Japanese tags stay readable in the address bar.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		ok := r == '.' || r == '_' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || r > 0x7F && r != 0x3000
		if ok {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "-"
	}
	return out
}

// parallel calls f(0) … f(n-1) on GOMAXPROCS goroutines, the caller's one
// of them, and returns when all have returned. The workers take the next
// index from a shared counter, not from a channel the caller feeds: a
// one-article rebuild at 10,000 articles calls f 32,000 times, nearly all
// for a file's stamp of a microsecond or two, and handing each index over
// a channel cost 10-20 ms of its CPU (460 against 480 ms, then 460
// against 470 ms, over fourteen alternating edits each; medians 267.5
// against 280.5 ms, then 275.5 against 278 ms). The caller works rather
// than waits: when other goroutines have both cores, the ones started
// here queue behind them, and a caller that only waited for a few quick
// calls waited 10-11 ms for a core (the directories' stamps at the end of
// a rebuild, timed with temporary marks); now it makes the calls itself,
// and those goroutines, run once it waits, find none left.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			f(i)
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// Page returns the page of the article at content path file.
func (s *Site) Page(file string) *Page { return s.byFile[file] }

// fileDir is path.Dir for content paths.
func fileDir(p string) string { return path.Dir(p) }
