package main

// The link check of the published site (issue 7, part 6): every internal
// link, anchor and asset of every page resolves, with the site published at
// the root and under a subpath. It reads the built files on disk, as a
// static host would serve them, so it needs no browser and runs in -short.

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kbgen/kbgen/internal/corpus"
)

// TestLinks builds the repository's content and a generated corpus of 200
// articles, each at the root and for a subpath base URL, and checks every
// link of every page (see checkLinks). The corpus's language and tag pages
// are paged at the default page size, and the repository's content is
// built once more with two articles to a page, so that every kind of list
// is paged, and the crawl must reach every page of every list.
func TestLinks(t *testing.T) {
	gen := t.TempDir()
	if _, err := corpus.Write(gen, 200, 7); err != nil {
		t.Fatal(err)
	}
	sites := []struct {
		name  string
		root  string
		paged bool // the site must have pages 2… of some list
	}{
		{"repo", repoSite(t), false},
		{"repo-paged", pagedRepoSite(t, 2), true},
		{"corpus", gen, true},
	}
	bases := []struct {
		name    string
		baseURL string // -base-url; "" builds for the root
	}{
		{"root", ""},
		{"subpath", "http://127.0.0.1/kb/"},
	}
	for _, s := range sites {
		for _, b := range bases {
			t.Run(s.name+"/"+b.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "public")
				args := []string{"build", "-root", s.root, "-out", out, "-quiet"}
				if b.baseURL != "" {
					args = append(args, "-base-url", b.baseURL)
				}
				runCLI(t, args...)
				site := "http://127.0.0.1/"
				if b.baseURL != "" {
					site = b.baseURL
				}
				n, problems := checkLinks(t, out, site)
				for _, p := range problems {
					t.Error(p)
				}
				if n.pages == 0 || n.links == 0 {
					t.Fatalf("checked %d pages and %d links: the site is empty", n.pages, n.links)
				}
				if s.paged && n.paged == 0 {
					t.Errorf("no page/<n>/ pages: the crawl did not see a paged list")
				}
				t.Logf("%d pages (%d of them pages 2… of a list), %d reached from the home page, %d links (%d with a fragment), %d search results checked",
					n.pages, n.paged, n.reached, n.links, n.fragments, n.results)
			})
		}
	}
}

// linkCounts is what checkLinks looked at.
type linkCounts struct {
	pages, links, fragments, results int
	reached                          int // pages reached from the home page
	paged                            int // pages 2… of paged lists (…/page/<n>/index.html)
}

// checkLinks checks the site built into dir, published at site (an absolute
// URL ending in "/": "http://127.0.0.1/" or "http://127.0.0.1/kb/"):
//
//   - in every HTML page, every href of a and link, and every src of script
//     and img, that points into the site names an existing file, a
//     directory meaning its index.html, as a static host serves them;
//   - every #fragment of such a link, the page's own included, is the id of
//     an element of the target page;
//   - root-relative paths stay under the site's path, so nothing links to
//     /ja/… when the site lives at /kb/;
//   - the documents of the search index (which search.js turns into result
//     links) and the pages in sitemap.xml exist too;
//   - every page but 404.html is reached by following links (a href, form
//     action) from the home page, as a reader would find it: no page, such
//     as page 3 of a paged list, is published that nothing leads to.
//
// Links to other hosts are not followed. A javascript: or other script URL
// is an error wherever it appears. It returns what it checked and one line
// per problem.
func checkLinks(t *testing.T, dir, site string) (linkCounts, []string) {
	t.Helper()
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	base, err := url.Parse(site)
	if err != nil || !strings.HasSuffix(base.Path, "/") {
		t.Fatalf("site URL %q: want an absolute URL ending in /", site)
	}
	var pages []string // slash paths below dir
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".html") {
			rel, _ := filepath.Rel(dir, p)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pages)

	ids := make(map[string]map[string]bool) // page → its element ids, loaded on demand
	idsOf := func(file string) map[string]bool {
		if m, ok := ids[file]; ok {
			return m
		}
		m := make(map[string]bool)
		if data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file))); err == nil {
			for _, tag := range scanTags(data) {
				if id, ok := tag.attrs["id"]; ok {
					m[id] = true
				}
			}
		}
		ids[file] = m
		return m
	}
	// resolve maps a URL of the site to the file a static host serves
	// for it, or explains why there is none.
	resolve := func(u *url.URL) (string, error) {
		rest, ok := strings.CutPrefix(u.Path, base.Path)
		if !ok {
			return "", fmt.Errorf("path %q is outside the site's %q", u.Path, base.Path)
		}
		if rest == "" || strings.HasSuffix(rest, "/") {
			rest += "index.html"
		}
		if strings.Contains("/"+rest+"/", "/../") {
			return "", fmt.Errorf("path %q climbs out of the site", u.Path)
		}
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rest)))
		switch {
		case err == nil && fi.IsDir():
			// Static hosts redirect /x to /x/; kbgen should link to /x/.
			return "", fmt.Errorf("%q is a directory: link to %q", u.Path, u.Path+"/")
		case err != nil:
			return "", fmt.Errorf("no file %s", rest)
		}
		return rest, nil
	}

	var n linkCounts
	// check checks one link and returns the file it leads to, or "" when
	// it leads nowhere on the site.
	check := func(page string, pageURL *url.URL, what, ref string) string {
		n.links++
		u, err := url.Parse(strings.TrimSpace(ref))
		if err != nil {
			errorf("%s: %s %q: %v", page, what, ref, err)
			return ""
		}
		switch strings.ToLower(u.Scheme) {
		case "", "http", "https":
		case "mailto", "tel":
			return ""
		case "data":
			if !strings.HasPrefix(strings.ToLower(u.Opaque), "image/") {
				errorf("%s: %s %q: a data: URL that is not an image", page, what, ref)
			}
			return ""
		default:
			errorf("%s: %s %q: scheme %q", page, what, ref, u.Scheme)
			return ""
		}
		abs := pageURL.ResolveReference(u)
		if abs.Scheme != base.Scheme || abs.Host != base.Host {
			return "" // another site
		}
		file := page // "#x" is this document wherever it is served (404.html)
		if !strings.HasPrefix(ref, "#") {
			if file, err = resolve(abs); err != nil {
				errorf("%s: %s %q: %v", page, what, ref, err)
				return ""
			}
		}
		if u.Fragment == "" {
			return file
		}
		n.fragments++
		if !strings.HasSuffix(file, ".html") {
			errorf("%s: %s %q: a fragment on %s, which is not a page", page, what, ref, file)
		} else if !idsOf(file)[abs.Fragment] {
			errorf("%s: %s %q: %s has no element with id %q", page, what, ref, file, abs.Fragment)
		}
		return file
	}

	linksTo := make(map[string][]string) // page → the pages its links lead to
	for _, page := range pages {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(page)))
		if err != nil {
			t.Fatal(err)
		}
		n.pages++
		if pagedRE.MatchString(page) {
			n.paged++
		}
		// The URL the page is served at: a directory for index.html.
		p := strings.TrimSuffix(page, "index.html")
		pageURL := base.ResolveReference(&url.URL{Path: p})
		if page == "404.html" {
			// Served for any missing path, so its links must not be
			// relative to where it is: check them from somewhere deep.
			pageURL = base.ResolveReference(&url.URL{Path: "no/such/page/"})
		}
		for _, tag := range scanTags(data) {
			for _, attr := range linkAttrs[tag.name] {
				if v, ok := tag.attrs[attr]; ok {
					to := check(page, pageURL, tag.name+" "+attr, v)
					// What a reader can follow: not <link rel="next">,
					// which browsers do not show.
					if (tag.name == "a" || tag.name == "form") && strings.HasSuffix(to, ".html") {
						linksTo[page] = append(linksTo[page], to)
					}
				}
			}
		}
	}

	// Crawl from the home page. Search results and sitemap.xml do not
	// count: a list page that only they lead to is still a dead end.
	reached := map[string]bool{"index.html": true}
	for queue := []string{"index.html"}; len(queue) > 0; queue = queue[1:] {
		for _, to := range linksTo[queue[0]] {
			if !reached[to] {
				reached[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, page := range pages {
		if !reached[page] && page != "404.html" {
			errorf("%s: no link leads to it from the home page", page)
		}
	}
	n.reached = len(reached)

	// The search index's documents become result links in search.js:
	// base path + document ID.
	docs, _ := filepath.Glob(filepath.Join(dir, "search", "*", "d", "*.json"))
	for _, file := range docs {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range searchIDRE.FindAllSubmatch(data, -1) {
			n.results++
			check(filepath.ToSlash(file[len(dir)+1:]), base, "search result", string(m[1]))
		}
	}
	if len(docs) == 0 {
		errorf("no search index documents under %s/search/*/d/", dir)
	}
	// sitemap.xml lists every page with its full URL, or its path when
	// the site has no base URL.
	if data, err := os.ReadFile(filepath.Join(dir, "sitemap.xml")); err == nil {
		for _, m := range sitemapLocRE.FindAllSubmatch(data, -1) {
			check("sitemap.xml", base, "loc", html.UnescapeString(string(m[1])))
		}
	}
	return n, problems
}

// linkAttrs lists, for each element the link check reads, the attributes
// holding a URL.
var linkAttrs = map[string][]string{
	"a":      {"href"},
	"link":   {"href"},
	"script": {"src"},
	"img":    {"src"},
	"form":   {"action"},
}

var (
	searchIDRE   = regexp.MustCompile(`"id":"([^"\\]*)"`)
	sitemapLocRE = regexp.MustCompile(`<loc>([^<]*)</loc>`)
	pagedRE      = regexp.MustCompile(`/page/[0-9]+/index\.html$`)
)

// htmlTag is a start tag of a page.
type htmlTag struct {
	name  string            // lower case
	attrs map[string]string // lower-case names; values with character references decoded
}

// scanTags returns the start tags of an HTML page in order. It skips
// comments, doctype and the raw text of script, style, textarea and title
// elements, and reads quoted and unquoted attribute values, which is
// enough for pages that html/template and kbgen's renderer write; it is not
// a full HTML5 tokenizer.
func scanTags(page []byte) []htmlTag {
	var tags []htmlTag
	s := page
	for {
		i := bytes.IndexByte(s, '<')
		if i < 0 || i+1 >= len(s) {
			return tags
		}
		s = s[i+1:]
		switch {
		case bytes.HasPrefix(s, []byte("!--")):
			end := bytes.Index(s, []byte("-->"))
			if end < 0 {
				return tags
			}
			s = s[end+3:]
			continue
		case s[0] == '!' || s[0] == '?' || s[0] == '/':
			continue
		case !isASCIILetter(s[0]):
			continue
		}
		j := 0
		for j < len(s) && !isHTMLSpace(s[j]) && s[j] != '>' && s[j] != '/' {
			j++
		}
		tag := htmlTag{name: strings.ToLower(string(s[:j])), attrs: make(map[string]string)}
		s = s[j:]
		// Attributes, up to the closing ">".
		for len(s) > 0 && s[0] != '>' {
			if isHTMLSpace(s[0]) || s[0] == '/' {
				s = s[1:]
				continue
			}
			k := 0
			for k < len(s) && !isHTMLSpace(s[k]) && s[k] != '=' && s[k] != '>' && !(s[k] == '/' && k+1 < len(s) && s[k+1] == '>') {
				k++
			}
			name := strings.ToLower(string(s[:k]))
			s = s[k:]
			for len(s) > 0 && isHTMLSpace(s[0]) {
				s = s[1:]
			}
			val := ""
			if len(s) > 0 && s[0] == '=' {
				s = s[1:]
				for len(s) > 0 && isHTMLSpace(s[0]) {
					s = s[1:]
				}
				if len(s) > 0 && (s[0] == '"' || s[0] == '\'') {
					q := s[0]
					end := bytes.IndexByte(s[1:], q)
					if end < 0 {
						end = len(s) - 1
					}
					val = string(s[1 : 1+end])
					s = s[min(len(s), end+2):]
				} else {
					k := 0
					for k < len(s) && !isHTMLSpace(s[k]) && s[k] != '>' {
						k++
					}
					val = string(s[:k])
					s = s[k:]
				}
			}
			if name != "" {
				if _, dup := tag.attrs[name]; !dup { // the first one counts, as in browsers
					tag.attrs[name] = html.UnescapeString(val)
				}
			}
		}
		tags = append(tags, tag)
		switch tag.name {
		case "script", "style", "textarea", "title":
			end := bytes.Index(bytes.ToLower(s), []byte("</"+tag.name))
			if end < 0 {
				return tags
			}
			s = s[end:]
		}
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// repoSite copies the repository's own site (content/, templates/ and
// kbgen.yaml if there is one) to a temporary root and returns it, so that
// builds write their search index (.kbgen/) there and not into the
// repository.
func repoSite(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{"content", "templates"} {
		if err := os.CopyFS(filepath.Join(root, dir), os.DirFS(filepath.Join("..", "..", dir))); err != nil {
			t.Fatal(err)
		}
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "kbgen.yaml")); err == nil {
		if err := os.WriteFile(filepath.Join(root, "kbgen.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// pagedRepoSite is repoSite with kbgen.yaml's paginate set to size, so
// that the few articles of the repository's content fill several pages of
// every list.
func pagedRepoSite(t *testing.T, size int) string {
	t.Helper()
	root := repoSite(t)
	file := filepath.Join(root, "kbgen.yaml")
	cfg, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^paginate:`).Match(cfg) {
		t.Fatalf("the repository's kbgen.yaml sets paginate: pagedRepoSite cannot set it to %d", size)
	}
	cfg = fmt.Appendf(cfg, "\npaginate: %d\n", size)
	if err := os.WriteFile(file, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// runCLI runs kbgen in-process with args and fails the test unless it
// exits 0.
func runCLI(t *testing.T, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	if code := run(t.Context(), args, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("kbgen %s exited %d:\n%s", strings.Join(args, " "), code, stderr.String())
	}
}

// TestLinksCatch breaks a built site in each way checkLinks looks for and
// wants each reported, so that a passing TestLinks means something.
func TestLinksCatch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	runCLI(t, "build", "-root", repoSite(t), "-out", out, "-quiet", "-base-url", "http://127.0.0.1/kb/")
	article := filepath.Join(out, "ja", "kms-activation-0xc004f074", "index.html")
	page, err := os.ReadFile(article)
	if err != nil {
		t.Fatal(err)
	}
	css, _ := filepath.Glob(filepath.Join(out, "assets", "site.*.css"))
	if len(css) != 1 {
		t.Fatalf("assets/site.*.css: %v", css)
	}
	if err := os.Remove(css[0]); err != nil {
		t.Fatal(err)
	}
	// One heading id gone, and links to a missing page, outside the
	// subpath, to a directory without its slash and to script.
	page = regexp.MustCompile(`<h2 id="[^"]*"`).ReplaceAll(page, []byte(`<h2`))
	page = bytes.Replace(page, []byte("</main>"), []byte(`<a href="/kb/ja/nothing/">x</a><a href="/ja/">x</a><a href="../../tags">x</a><a href="javascript:x">x</a></main>`), 1)
	if err := os.WriteFile(article, page, 0o644); err != nil {
		t.Fatal(err)
	}
	// A page nothing links to: a list page left over from a larger list.
	orphan := filepath.Join(out, "ja", "page", "9")
	if err := os.MkdirAll(orphan, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan, "index.html"), []byte("<!doctype html><title>x</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, problems := checkLinks(t, out, "http://127.0.0.1/kb/")
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		"link href \"/kb/assets/site.",   // the stylesheet, from every page
		"has no element with id",         // the table of contents
		"no file ja/nothing/index.html",  // a missing page
		"is outside the site's \"/kb/\"", // a root link under a subpath
		"is a directory",                 // /kb/tags
		"scheme \"javascript\"",          // script
		"ja/page/9/index.html: no link leads to it from the home page",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("checkLinks did not report %q; it reported:\n%.3000s", want, all)
		}
	}
}

// TestScanTags pins the tokenizer the link and security checks rely on.
func TestScanTags(t *testing.T) {
	page := []byte(`<!doctype html><!-- <a href="/comment"> --><html lang=ja><title>a <b> c</title>` +
		`<a class="x" href="/a/?q=1&amp;r=2#f" title='>'>t</a><img src=/i.png alt=""/>` +
		`<script>if (a<b) document.write("<a href='/script'>")</script><p id="x" ID="y">`)
	var got []string
	for _, tag := range scanTags(page) {
		keys := make([]string, 0, len(tag.attrs))
		for k := range tag.attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		s := tag.name
		for _, k := range keys {
			s += " " + k + "=" + tag.attrs[k]
		}
		got = append(got, s)
	}
	want := []string{"html lang=ja", "title", "a class=x href=/a/?q=1&r=2#f title=>", "img alt= src=/i.png", "script", "p id=x"}
	if !slices.Equal(got, want) {
		t.Errorf("scanTags =\n%q\nwant\n%q", got, want)
	}
}
