package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kbgen/kbgen/internal/render"
	"github.com/kbgen/kbgen/internal/search"
)

// This file renders single pages on request, for the dev server (kbgen
// serve): the same page writers that Build runs over the whole site write
// into an output that keeps only the one file asked for, so a served page
// is byte for byte the page Build writes, and there is no second
// implementation of any page to drift.

// output is where the page writers put files: the build's writer, which
// writes them to disk, or a capture or memory output in serve mode.
type output interface {
	// write stores data as the file name, a slash-separated path below
	// the output root.
	write(name string, data []byte) error
	// page executes template name with data and stores it as file.
	page(tpl *render.Templates, file, name string, data any) error
	// lazyPage is page for data that is costly to make: it calls
	// makeData only if it needs the page, which it may not (a capture of
	// another file, a page the build cache still holds). inputs, with the
	// template and what extra returns, must determine what makeData returns.
	lazyPage(tpl *render.Templates, file, name string, inputs any, extra func() []byte, makeData func() (any, error)) error
}

var (
	_ output = (*writer)(nil)
	_ output = (*capture)(nil)
	_ output = memory(nil)
)

// errCaptured stops the page writers as soon as a capture holds its file,
// so the pages after it are not built for nothing.
var errCaptured = errors.New("page captured")

// capture is an output that keeps the file want and discards the others
// without executing their templates.
type capture struct {
	want  string
	buf   bytes.Buffer
	found bool
}

func (c *capture) write(name string, data []byte) error {
	if name != c.want {
		return nil
	}
	c.buf.Write(data)
	c.found = true
	return errCaptured
}

func (c *capture) page(tpl *render.Templates, file, name string, data any) error {
	if file != c.want {
		return nil
	}
	if err := tpl.Execute(&c.buf, name, data); err != nil {
		return fmt.Errorf("template %s: %w", name, err)
	}
	c.found = true
	return errCaptured
}

func (c *capture) lazyPage(tpl *render.Templates, file, name string, _ any, _ func() []byte, makeData func() (any, error)) error {
	if file != c.want {
		return nil
	}
	data, err := makeData()
	if err != nil {
		return err
	}
	return c.page(tpl, file, name, data)
}

// memory is an output that keeps every file.
type memory map[string][]byte

func (m memory) write(name string, data []byte) error {
	m[name] = bytes.Clone(data)
	return nil
}

func (m memory) page(tpl *render.Templates, file, name string, data any) error {
	var b bytes.Buffer
	if err := tpl.Execute(&b, name, data); err != nil {
		return fmt.Errorf("template %s: %w", name, err)
	}
	m[file] = b.Bytes()
	return nil
}

func (m memory) lazyPage(tpl *render.Templates, file, name string, _ any, _ func() []byte, makeData func() (any, error)) error {
	data, err := makeData()
	if err != nil {
		return err
	}
	return m.page(tpl, file, name, data)
}

// loadTemplates parses the default templates overlaid by the site's
// templates/ directory, if it has one.
func (s *Site) loadTemplates() (*render.Templates, error) {
	var siteTemplates fs.FS
	if fi, err := fs.Stat(s.FS, TemplatesDir); err == nil && fi.IsDir() {
		siteTemplates, _ = fs.Sub(s.FS, TemplatesDir)
	}
	return render.Load(siteTemplates)
}

// Theme is a site's parsed templates and its assets with their hashed
// names, made once and used for every page rendered on request. It depends
// on the site's templates/ directory and base URL only, not on the
// articles, so a dev server keeps it across content changes. A Theme is
// read-only and safe for concurrent use.
type Theme struct {
	tpl   *render.Templates
	urls  map[string]string // asset name ("site.css") → URL, as render.Site.Assets
	files map[string][]byte // path below the base URL ("assets/site.3f2a….css") → content
}

// LoadTheme parses s's templates and names and hashes its assets as Build
// does. Its error, like Build's, names the template file and line.
func (s *Site) LoadTheme() (*Theme, error) {
	tpl, err := s.loadTemplates()
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	view := &render.Site{BasePath: s.Config.BasePath(), Assets: make(map[string]string)}
	files := memory{}
	if err := s.writeAssets(files, tpl, view); err != nil {
		return nil, err
	}
	return &Theme{tpl: tpl, urls: view.Assets, files: files}, nil
}

// Asset returns the asset file Build publishes at rel, a path below the
// base URL ("assets/site.3f2a….css").
func (t *Theme) Asset(rel string) ([]byte, bool) {
	b, ok := t.files[rel]
	return b, ok
}

// PageOptions is what RenderPage needs besides the site.
type PageOptions struct {
	Theme     *Theme
	Generator string // names the program in the pages' generator meta tag
}

// RenderPage writes to w the page Build writes at rel, a path below the
// base URL: "" or a path ending in "/" means its index.html. The pages are
// the article pages, the home, language, tag, code, search and 404 pages,
// and the feeds (sitemap.xml, robots.txt, feed.xml, opensearch.xml); assets
// come from Theme.Asset and copied content files from ContentFile. found is
// false, and nothing is written, when Build writes no such page.
//
// An article page costs one Markdown render and one template execution. A
// list page is made by the writer of all list pages, which stops at the one
// asked for but prepares the lists before it; that is linear in the number
// of articles, which a caller that serves many requests may want to cache.
// RenderPage only reads s, so it may be called concurrently.
func (s *Site) RenderPage(w io.Writer, rel string, opts PageOptions) (found bool, err error) {
	if opts.Theme == nil {
		return false, errors.New("render page: no theme")
	}
	file := rel
	if file == "" || strings.HasSuffix(file, "/") {
		file += "index.html"
	}
	view := s.siteView(opts.Generator)
	maps.Copy(view.Assets, opts.Theme.urls)
	view.IndexURL = view.BasePath + "search/"
	tpl := opts.Theme.tpl

	c := &capture{want: file}
	dir, isIndex := strings.CutSuffix(file, "index.html")
	switch {
	case isIndex && s.byURL[dir] != nil:
		if p := s.byURL[dir]; !p.Draft {
			err = s.writeArticle(c, tpl, view, p)
		}
	case isIndex && (dir == "" || strings.HasSuffix(dir, "/")), file == "404.html":
		err = s.writeLists(c, tpl, view, s.summaries())
	case !strings.Contains(file, "/") && (path.Ext(file) == ".xml" || path.Ext(file) == ".txt"):
		err = s.writeFeeds(c, view)
	}
	if err != nil && !errors.Is(err, errCaptured) {
		return false, fmt.Errorf("render %s: %w", file, err)
	}
	if !c.found {
		return false, nil
	}
	_, err = w.Write(c.buf.Bytes())
	return true, err
}

// ContentFile returns the name in s.FS of the file that Build copies from
// content/ to rel, a path below the base URL (an image or attachment next
// to the articles), and whether there is one. Articles (.md) and hidden
// files, whose names start with "." or "_", are not published.
func (s *Site) ContentFile(rel string) (name string, ok bool) {
	if !fs.ValidPath(rel) || rel == "." || strings.HasSuffix(rel, ".md") {
		return "", false
	}
	for _, el := range strings.Split(rel, "/") {
		if strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_") {
			return "", false
		}
	}
	name = ContentDir + "/" + rel
	fi, err := fs.Stat(s.FS, name)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	return name, true
}

// SearchIndex is a site's search index, brought up to date by
// UpdateSearch and ready to be exported for the browser. A dev server
// builds it, which is slow, apart from exporting it, which writes files
// where the server serves them, so that it can abandon a build on
// shutdown without leaving files there.
type SearchIndex struct {
	ix      *search.Index
	version string
	// The articles and their search documents, in order, as the index
	// was last given them: see docsOf.
	pages []*Page
	docs  []search.Doc
}

// UpdateSearch brings the search index in dir up to date with the
// published articles, as a build with the build cache does with
// .kbgen/index: only articles that are new or changed since the index was
// last updated are analysed (see search.Update). The first call builds
// the index. Cancelling ctx stops it early; the next call then builds the
// index again. It only reads s.
//
// A dev server calls it once and then keeps the index open, updating it
// with SearchIndex.Update and exporting over the export before: at 10,000
// generated articles its search follows a one-article edit in 65-145 ms
// (medians 77 and 85.5 ms over two runs of twenty edits), where opening
// the index for each edit took 1.3-1.9 s and building it afresh, 21 s.
func (s *Site) UpdateSearch(ctx context.Context, dir string) (*SearchIndex, error) {
	docs := search.Hash(s.searchDocs())
	ix, err := docs.Update(ctx, dir, nil)
	if err != nil {
		return nil, err
	}
	return &SearchIndex{ix: ix, version: docs.Version(), pages: s.Articles, docs: docs.Docs()}, nil
}

// Update brings x, open since UpdateSearch made it, up to date with s as
// UpdateSearch does with the index on disk, without opening the index
// again or reading the export state (see search.Index.Update): a dev
// server keeps its index open from one edit to the next. On error x is
// closed; UpdateSearch then opens the index again.
func (x *SearchIndex) Update(ctx context.Context, s *Site) error {
	docs := x.docsOf(s)
	if err := x.ix.Update(ctx, docs); err != nil {
		x.pages, x.docs = nil, nil
		return err
	}
	x.version = x.ix.Version()
	x.pages, x.docs = s.Articles, docs
	return nil
}

// docsOf returns the search documents of s's articles, taking the
// document of each article that is the very Page the index was last
// given over: Site.Update shares the pages of the articles that did not
// change, which never change after their load. Making all 10,000
// documents of a generated site took 9-22 ms of a dev server's search
// after an edit.
func (x *SearchIndex) docsOf(s *Site) []search.Doc {
	docs := make([]search.Doc, len(s.Articles))
	var at map[*Page]int // the last positions, made if the articles moved
	for i, p := range s.Articles {
		if i < len(x.pages) && x.pages[i] == p {
			docs[i] = x.docs[i]
			continue
		}
		if i < len(x.pages) && x.pages[i].URL == p.URL {
			docs[i] = s.searchDoc(p) // the article, parsed again
			continue
		}
		if at == nil {
			at = make(map[*Page]int, len(x.pages))
			for j, q := range x.pages {
				at[q] = j
			}
		}
		if j, ok := at[p]; ok {
			docs[i] = x.docs[j]
		} else {
			docs[i] = s.searchDoc(p)
		}
	}
	return docs
}

// SearchExport is a search export made by SearchIndex.Export, for a
// server to serve file by file: its version, its entry (search/index.json)
// and where each of its files is.
type SearchExport struct {
	dir, version string
	entry        []byte
	files        map[string]search.File
	dirs         map[string]bool // the directories below dir its files are in, by name
}

// Version is the export's version, which the entry names: the browser
// asks for the export's files below search/<version>/.
func (e *SearchExport) Version() string { return e.version }

// Entry returns the content of search/index.json for the export.
func (e *SearchExport) Entry() []byte { return e.entry }

// ReadFile returns the content of the export's file name, a
// slash-separated path below search/<version>/, and whether it has one.
func (e *SearchExport) ReadFile(name string) ([]byte, bool) {
	f, ok := e.files[name]
	if !ok {
		return nil, false
	}
	data, err := f.Content()
	return data, err == nil
}

// Export makes the export of the index's current version, in a new
// directory below dir or in memory, unless prev, an earlier export into
// dir (or nil), is of that version: then it returns prev. The files prev
// has with the same name and content are not made again but served from
// where they are (see search.Index.ExportOver): after one edit, all but a
// few hundred of some 15,700 files at 10,000 articles. The directories
// of prev that the new export uses must be kept as long as it is served;
// see PruneExports.
func (x *SearchIndex) Export(dir string, prev *SearchExport) (*SearchExport, error) {
	var over map[string]search.File
	if prev != nil && prev.dir == dir {
		if prev.version == x.version {
			return prev, nil
		}
		over = prev.files
	}
	// A directory of this version may be in use still, by files of the
	// exports served: each export writes into a directory of its own.
	own := filepath.Join(dir, x.version)
	for n := 2; ; n++ {
		if _, err := os.Lstat(own); errors.Is(err, fs.ErrNotExist) {
			break
		}
		own = filepath.Join(dir, x.version+"-"+strconv.Itoa(n))
	}
	files, err := x.ix.ExportOver(own, over)
	if err != nil {
		os.RemoveAll(own)
		return nil, err
	}
	entry, err := search.Entry(files, x.version)
	if err != nil {
		os.RemoveAll(own)
		return nil, fmt.Errorf("export search index: %w", err)
	}
	// The directories below dir the files on disk are in: this export's
	// own, if it wrote a directory, and those of earlier ones.
	in := make(map[string]bool)
	for _, f := range files {
		if rel, ok := strings.CutPrefix(f.Path, dir+string(filepath.Separator)); ok {
			top, _, _ := strings.Cut(rel, string(filepath.Separator))
			in[top] = true
		}
	}
	return &SearchExport{dir: dir, version: x.version, entry: entry, files: files, dirs: in}, nil
}

// ExportFrom is Export for an index that started as a copy of a build's
// (CopySearchIndex) and has made no export yet: if the export the build
// made last, which the index's state describes, is published in
// published (the build's search directory, public/search), its files are
// linked, or else copied, into a directory of their own below dir and
// taken over as those of an export before. Only the files that differ
// are then made, where otherwise a first export makes all of them: at
// 10,000 generated articles, 15,700 files and 4.8 s. Files below
// search/<version>/ are named by the version, so a published file of
// the name is the one the state describes, as the build cache assumes
// too (see reuseSearch); if any is missing, the export is made in full.
func (x *SearchIndex) ExportFrom(dir, published string) (*SearchExport, error) {
	version, sums, ok := x.ix.LastExport()
	if !ok || published == "" {
		return x.Export(dir, nil)
	}
	own := filepath.Join(dir, "published-"+version)
	files, err := linkExport(own, filepath.Join(published, version), sums)
	var entry []byte
	if err == nil {
		entry, err = search.Entry(files, version)
	}
	if err != nil {
		os.RemoveAll(own)
		return x.Export(dir, nil)
	}
	prev := &SearchExport{dir: dir, version: version, entry: entry, files: files, dirs: map[string]bool{filepath.Base(own): true}}
	return x.Export(dir, prev)
}

// linkExport links, or where it cannot copies, the files sums names from
// src into dst, which it creates, and returns them as search.Files.
func linkExport(dst, src string, sums map[string]search.Sum) (map[string]search.File, error) {
	if _, err := os.Lstat(dst); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s exists", dst)
	}
	files := make(map[string]search.File, len(sums))
	made := make(map[string]bool)
	for name, sum := range sums {
		to := filepath.Join(dst, filepath.FromSlash(name))
		if d := filepath.Dir(to); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
			made[d] = true
		}
		from := filepath.Join(src, filepath.FromSlash(name))
		if err := os.Link(from, to); err != nil {
			data, err := os.ReadFile(from)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(to, data, 0o644); err != nil {
				return nil, err
			}
		}
		files[name] = search.File{Path: to, Sum: sum}
	}
	return files, nil
}

// PruneExports removes every entry of dir, the directory exports are made
// in, that none of the exports keep has its files in.
func PruneExports(dir string, keep ...*SearchExport) error {
	used := make(map[string]bool)
	for _, e := range keep {
		if e != nil && e.dir == dir {
			maps.Copy(used, e.dirs)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, en := range entries {
		if !used[en.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, en.Name())))
		}
	}
	return errors.Join(errs...)
}

// Close releases the index, writing the state its next export in the
// same directory starts from.
func (x *SearchIndex) Close() error { return x.ix.Close() }

// Discard releases the index without writing that state, for an index
// whose directory is about to be removed.
func (x *SearchIndex) Discard() error { return x.ix.Discard() }

// CopySearchIndex copies the search index a build keeps (BuildOptions.IndexDir)
// from src to dst, which must not exist, for UpdateSearch in dst to start
// from; see search.CopyIndex. It fails for an index in use by another
// process, and with an error satisfying errors.Is(err, fs.ErrNotExist)
// when there is none.
func CopySearchIndex(dst, src string) error { return search.CopyIndex(dst, src) }
