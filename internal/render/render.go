// Package render turns the typed views of view.go into HTML pages with
// html/template.
//
// # Templates
//
// The templates come from the defaults embedded in package templates,
// overlaid file by file by a site's own templates/ directory: a site that
// ships only article.html keeps every other default. The files are
//
//	base.html      the layout; it executes the blocks "title", "head" and "main"
//	*.html         every other top-level .html file that is not a page
//	               template below holds shared {{define}}s (the default set has
//	               partials.html); a site may add its own
//	home.html      ListPage: Articles (recent), Tags (by count)
//	article.html   ArticlePage
//	list.html      ListPage for a language, tag or code page (Kind says which);
//	               one page of it when Pager is set (see below)
//	tags.html      IndexPage: Tags
//	codes.html     IndexPage: Codes
//	search.html    ListPage (Tags may be set; Articles unused)
//	404.html       ListPage: Articles (recent, optional)
//
// A list longer than the site's page size is split into pages, each a
// ListPage whose Page.Pager says where it is. In the defaults, base.html
// gives such a page its rel="prev" and rel="next" links, partials.html's
// "pageTitle" adds "page n of N" to its title from page 2 on, and its
// "pager" template is the pagination nav that list.html shows.
//
// Each page template is parsed exactly once, in Load, into its own clone of
// the layout and shared files, so two pages may define the same block
// differently. Load also runs html/template's contextual escaper over every
// page, so a template that parses but cannot be escaped safely (an action
// inside an unquoted attribute, say) fails the build at load time, naming
// its file and line, instead of on the first page that uses it.
//
// # Assets
//
// Templates reference assets only through the Site.Assets map, whose keys
// are the names under assets/ ("site.css", "site.js", "search.js",
// "search.css", "icon.svg") plus "chroma.css", the highlighting stylesheet
// that package site generates. Site fills the map with hashed,
// root-relative URLs; root-relative because 404.html is served at any path.
//
// # Functions
//
// Templates may call, besides the html/template builtins:
//
//	t LANG KEY          the interface string KEY in LANG (ja, en; other languages get en)
//	count LANG N        "N 件" / "N article(s)"
//	date T LANG         a readable date: "2025年11月3日" (ja), "November 3, 2025" (others)
//	isodate T           "2025-11-03"
//	datetime T          "2025-11-03T09:11:56Z", for <time datetime>
//	articles LANG LIST  pairs a []ArticleSummary with the page language for the "articles" partial
//	pageof LANG N M     "2 / 5 ページ" / "page 2 of 5", for the title of a paged list's page N of M
//	pagename LANG N     "3 ページ目" / "Page 3", the accessible name of a page number
//	showing LANG A B T  "95 件中 21〜40 件" / "21–40 of 95 articles", the count on a paged list
//
// Dates are shown in UTC: the output must not depend on the machine's time
// zone, and the frontmatter's timestamps are UTC.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"text/template/parse"

	"github.com/kbgen/kbgen/templates"
)

// pageNames are the page templates; every other top-level .html file is
// parsed into the shared set.
var pageNames = []string{"home.html", "article.html", "list.html", "tags.html", "codes.html", "search.html", "404.html"}

// layoutName is the template every page executes.
const layoutName = "base.html"

// Templates is the parsed template set of a build. Its methods may be
// called concurrently.
type Templates struct {
	pages  map[string]*template.Template // page name → layout + shared + page
	assets fs.FS
	refers sync.Map // referKey → bool, Refers's answers
}

// Load parses the default templates overlaid by site, which is the site's
// own templates directory (nil when it has none). Errors name the file and,
// for template syntax, the line; a file that comes from site is named as
// "templates/<name>" so the author knows which copy to fix.
func Load(site fs.FS) (*Templates, error) {
	return load(overlay{upper: site, lower: templates.FS()}, site)
}

func load(fsys fs.FS, site fs.FS) (*Templates, error) {
	where := func(name string) string {
		if site != nil {
			if _, err := fs.Stat(site, name); err == nil {
				return "templates/" + name
			}
		}
		return "default template " + name
	}
	read := func(name string) (string, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", where(name), err)
		}
		return string(b), nil
	}

	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	base := template.New(layoutName).Funcs(funcs())
	src, err := read(layoutName)
	if err != nil {
		return nil, err
	}
	if _, err := base.Parse(src); err != nil {
		return nil, fmt.Errorf("parse %s: %w", where(layoutName), err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".html" || name == layoutName || slices.Contains(pageNames, name) {
			continue
		}
		src, err := read(name)
		if err != nil {
			return nil, err
		}
		if _, err := base.New(name).Parse(src); err != nil {
			return nil, fmt.Errorf("parse %s: %w", where(name), err)
		}
	}

	ts := &Templates{pages: make(map[string]*template.Template)}
	for _, name := range pageNames {
		src, err := read(name)
		if err != nil {
			return nil, err
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", where(name), err)
		}
		if _, err := t.New(name).Parse(src); err != nil {
			return nil, fmt.Errorf("parse %s: %w", where(name), err)
		}
		// Escape now: executing with no data fails on the first field
		// access, but only after the escaper has run over the whole
		// template, and its errors are *template.Error.
		var escErr *template.Error
		if err := t.ExecuteTemplate(io.Discard, layoutName, nil); errors.As(err, &escErr) {
			return nil, fmt.Errorf("parse %s: %w", where(name), err)
		}
		ts.pages[name] = t
	}

	ts.assets, err = fs.Sub(fsys, "assets")
	if err != nil {
		return nil, fmt.Errorf("templates assets: %w", err)
	}
	return ts, nil
}

// Execute renders the page template name ("article.html", …; see the
// package comment for the data each expects) with data and writes the page
// to w. Nothing is written when execution fails, so a caller never
// publishes half a page.
func (ts *Templates) Execute(w io.Writer, name string, data any) error {
	t, ok := ts.pages[name]
	if !ok {
		return fmt.Errorf("execute template %q: no such page template (have %s)", name, strings.Join(pageNames, ", "))
	}
	// A page is tens of kilobytes. Into a bytes.Buffer, which is what the
	// build writes pages into, the page is executed directly and cut back
	// on failure; any other writer gets it from a pooled buffer. Either way
	// the page is not copied, nor a buffer grown for it, one more time per
	// page than needed.
	if b, ok := w.(*bytes.Buffer); ok {
		n := b.Len()
		if err := t.ExecuteTemplate(b, layoutName, data); err != nil {
			b.Truncate(n)
			return err
		}
		return nil
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(buf)
	buf.Reset()
	if err := t.ExecuteTemplate(buf, layoutName, data); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Refers reports whether the page template name, or a template it can
// execute ({{template}}, {{block}}), names a field, method or variable
// ident in an action: {{.Count}}, {{$t.Count}}, {{(index .Tags 0).Count}}.
// A page that names no Count shows no count of articles, whatever else
// it shows of the data, if the caller zeroes them (see the site's
// withoutCounts): the build cache then need not make every page again
// when an article added or removed moves the counts.
func (ts *Templates) Refers(name, ident string) bool {
	key := referKey{name, ident}
	if v, ok := ts.refers.Load(key); ok {
		return v.(bool)
	}
	t, ok := ts.pages[name]
	found := ok && refers(t, layoutName, ident, make(map[string]bool))
	ts.refers.Store(key, found)
	return found
}

// referKey is a question Refers has answered: a page template and an
// identifier. A struct rather than the two joined, so that asking again,
// as the build does for every article page it makes, allocates nothing.
type referKey struct{ name, ident string }

// refers reports whether the template name of t's set, or one it
// executes and seen does not hold, names ident.
func refers(t *template.Template, name, ident string, seen map[string]bool) bool {
	if seen[name] {
		return false
	}
	seen[name] = true
	d := t.Lookup(name)
	if d == nil || d.Tree == nil {
		return false
	}
	found := false
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if found {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return // a branch's missing else
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(&n.BranchNode)
		case *parse.RangeNode:
			walk(&n.BranchNode)
		case *parse.WithNode:
			walk(&n.BranchNode)
		case *parse.BranchNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.PipeNode:
			if n == nil {
				return // {{template "name"}} without data
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			found = slices.Contains(n.Field, ident)
			walk(n.Node)
		case *parse.FieldNode:
			found = slices.Contains(n.Ident, ident)
		case *parse.VariableNode:
			found = slices.Contains(n.Ident[1:], ident)
		case *parse.TemplateNode:
			walk(n.Pipe)
			found = found || refers(t, n.Name, ident, seen)
		}
	}
	walk(d.Tree.Root)
	return found
}

// buffers holds the buffers Execute writes a page into before passing it
// on to a writer that is not a bytes.Buffer.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Assets returns the assets/ subtree of the overlaid templates: the
// defaults' site.css, site.js, icon.svg, search.js and search.css, each
// replaced by the site's own file of that name, plus any file the site adds.
// Names are relative to assets/ ("site.css").
func (ts *Templates) Assets() fs.FS { return ts.assets }
