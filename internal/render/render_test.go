package render

import (
	"bytes"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kbgen/kbgen/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testSite is the site every test page belongs to: served under a subpath,
// two languages, every asset the templates know.
func testSite() *Site {
	return &Site{
		Title:     "サポート KB",
		BaseURL:   "https://kb.example.com/kb/",
		BasePath:  "/kb/",
		Languages: []Language{{Code: "ja", Name: "日本語", URL: "/kb/ja/", Count: 2}, {Code: "en", Name: "English", URL: "/kb/en/", Count: 1}},
		Assets: map[string]string{
			"site.css":   "/kb/assets/site.0123456789.css",
			"site.js":    "/kb/assets/site.0123456789.js",
			"search.css": "/kb/assets/search.0123456789.css",
			"search.js":  "/kb/assets/search.0123456789.js",
			"chroma.css": "/kb/assets/chroma.0123456789.css",
			"icon.svg":   "/kb/assets/icon.0123456789.svg",
		},
		SearchURL:     "/kb/search/",
		IndexURL:      "/kb/search/3f2a9c/",
		Generator:     "kbgen test",
		FeedURL:       "/kb/feed.xml",
		OpenSearchURL: "/kb/opensearch.xml",
	}
}

var updated = time.Date(2025, 11, 3, 9, 11, 56, 107e6, time.UTC)

func code(c string) Code { return Code{Code: c, URL: "/kb/codes/" + c + "/"} }
func tag(n string) Tag   { return Tag{Name: n, URL: "/kb/tags/" + strings.ToLower(n) + "/", Count: 2} }

func summaries() []ArticleSummary {
	return []ArticleSummary{
		{
			Title: "Windows のライセンス認証に失敗 0xC004F074", URL: "/kb/ja/kms-activation-0xc004f074/", Lang: "ja",
			ErrorText: "Windows のライセンス認証に失敗 0xC004F074",
			Codes:     []Code{code("0xC004F074")}, Tags: []Tag{tag("Windows"), tag("KMS")}, UpdatedAt: updated,
		},
		{
			Title: "Error 0xC004F074 when you activate Windows", URL: "/kb/en/activation-0xc004f074/", Lang: "en",
			ErrorText: "No Key Management Service (KMS) could be contacted",
			Codes:     []Code{code("0xC004F074")}, Tags: []Tag{tag("Activation")}, UpdatedAt: updated.AddDate(0, -1, 0),
		},
	}
}

func page(kind, lang, title, rel string, crumbs ...Link) Page {
	return Page{
		Site: testSite(), Kind: kind, Lang: lang, Title: title, Description: title,
		URL: "/kb/" + rel, Canonical: "https://kb.example.com/kb/" + rel, Breadcrumbs: crumbs,
	}
}

var home = Link{Title: "サポート KB", URL: "/kb/"}

// articlePage is the seed article as site would hand it over, with a body
// that has each construct the stylesheet and script care about.
func articlePage(t *testing.T) ArticlePage {
	body, err := os.ReadFile(filepath.Join("testdata", "body.html"))
	if err != nil {
		t.Fatal(err)
	}
	a := ArticlePage{
		Page:           page("article", "ja", "Windows のライセンス認証に失敗 0xC004F074", "ja/kms-activation-0xc004f074/", home, Link{Title: "日本語", URL: "/kb/ja/"}),
		ArticleSummary: summaries()[0],
		TOC: []Heading{
			{Level: 2, Text: "要約", ID: "要約"},
			{Level: 2, Text: "60秒で確認（最短手順）", ID: "60秒で確認最短手順"},
			{Level: 3, Text: "GUI での確認", ID: "gui-での確認"},
			{Level: 2, Text: "関連ケース", ID: "関連ケース"},
		},
		Related: []Link{{Title: "KMS ホスト移行後に 0xC004F074 が出るケース", URL: "/kb/ja/kms-host-migration/"}},
		Body:    template.HTML(body),
		Source:  "content/ja/kms-activation-0xc004f074.md",
	}
	return a
}

// pages returns representative data for every page template.
func pages(t *testing.T) map[string]any {
	list := summaries()
	tags := []Tag{tag("Windows"), tag("KMS"), tag("Activation")}
	return map[string]any{
		"article.html": articlePage(t),
		"home.html":    ListPage{Page: page("home", "ja", "サポート KB", ""), Articles: list, Tags: tags},
		"list.html": ListPage{
			Page:    page("code", "ja", "0xC004F074", "codes/0xC004F074/", home, Link{Title: "Error codes", URL: "/kb/codes/"}),
			Heading: "0xC004F074", Intro: "Windows のライセンス認証に失敗 0xC004F074", Articles: list,
		},
		"tags.html": IndexPage{Page: page("tags", "ja", "Tags", "tags/", home), Tags: tags},
		"codes.html": IndexPage{Page: page("codes", "ja", "Error codes", "codes/", home), Codes: []CodeEntry{
			{Code: code("0x80070005"), ErrorText: "アクセスが拒否されました", Count: 1},
			{Code: code("0xC004F074"), ErrorText: "Windows のライセンス認証に失敗", Count: 2},
		}},
		"search.html": ListPage{Page: page("search", "ja", "Search", "search/", home), Tags: tags},
		"404.html":    ListPage{Page: page("404", "ja", "Page not found", "404.html", home), Articles: list},
	}
}

func mustLoad(t *testing.T, site fs.FS) *Templates {
	t.Helper()
	ts, err := Load(site)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return ts
}

func execute(t *testing.T, ts *Templates, name string, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := ts.Execute(&b, name, data); err != nil {
		t.Fatalf("Execute(%q): %v", name, err)
	}
	return b.String()
}

// TestPages executes every page template with representative data, in both
// languages, and checks the elements other parts of kbgen and the people
// using the site rely on.
func TestPages(t *testing.T) {
	ts := mustLoad(t, nil)
	everywhere := []string{
		`<html lang="%s">`,
		`<a class="skip" href="#main">`,
		`<form class="search" role="search" action="/kb/search/">`,
		`<input type="search" name="q" id="search-input" autocomplete="off"`,
		`aria-controls="search-results"`,
		`<div id="search-results" class="search-results" role="listbox" hidden></div>`,
		`data-index="/kb/search/3f2a9c/" data-base="/kb/" data-lang="%s"`,
		`<main id="main"`,
		`<link rel="stylesheet" href="/kb/assets/site.0123456789.css">`,
		`<script src="/kb/assets/site.0123456789.js" defer></script>`,
		`<script src="/kb/assets/search.0123456789.js" defer></script>`,
		`<link rel="stylesheet" href="/kb/assets/search.0123456789.css">`,
		`<a href="/kb/codes/">`,
	}
	only := map[string][]string{
		"article.html": {
			`<h1>Windows のライセンス認証に失敗 0xC004F074</h1>`,
			`<a class="chip" href="/kb/codes/0xC004F074/">0xC004F074</a>`,
			`<dd class="errortext">Windows のライセンス認証に失敗 0xC004F074</dd>`,
			`<time datetime="2025-11-03T09:11:56Z">`,
			`<a href="/kb/tags/kms/">KMS</a>`,
			`<nav class="toc" aria-labelledby="kb-toc">`,
			`<li class="l2"><a href="#%e8%a6%81%e7%b4%84">要約</a></li>`,
			`<li class="l3"><a href="#gui-%e3%81%a7%e3%81%ae%e7%a2%ba%e8%aa%8d">GUI での確認</a></li>`,
			`<a href="/kb/ja/kms-host-migration/">KMS ホスト移行後に 0xC004F074 が出るケース</a>`,
			`<pre class="chroma" data-lang="cmd">`,
			`<link rel="stylesheet" href="/kb/assets/chroma.0123456789.css">`,
			`<a href="/kb/ja/">日本語</a>`,
			`<li aria-current="page">Windows のライセンス認証に失敗 0xC004F074</li>`,
		},
		"home.html": {
			`<h1 class="brand"><a href="/kb/">サポート KB</a></h1>`,
			`<a class="card-title" href="/kb/en/activation-0xc004f074/" lang="en">Error 0xC004F074 when you activate Windows</a>`,
			`<p class="card-text" lang="en">No Key Management Service (KMS) could be contacted</p>`,
			`<ul class="taglist">`,
			`<a href="/kb/ja/" lang="ja">日本語 <span class="cnt">2</span></a>`,
		},
		"list.html":   {`<h1 class="code-title">0xC004F074</h1>`, `<p class="intro">`, `<a class="card-title" href="/kb/ja/kms-activation-0xc004f074/"`},
		"tags.html":   {`<a href="/kb/tags/activation/">Activation <span class="cnt">2</span></a>`},
		"codes.html":  {`<a class="chip" href="/kb/codes/0x80070005/">0x80070005</a>`, `アクセスが拒否されました`},
		"search.html": {`<div id="search-page" data-filters></div>`, `<noscript>`},
		"404.html":    {`<p id="nf-code" hidden>`, `<a class="card-title"`},
	}
	localized := map[string]map[string][]string{
		"ja": {
			"article.html": {`<time datetime="2025-11-03T09:11:56Z">2025年11月3日</time>`, `<h2 id="kb-toc">目次</h2>`},
			"home.html":    {`最近更新された記事`, `<time datetime="2025-10-03T09:11:56Z">2025年10月3日</time>`},
			"list.html":    {`2 件`, `<a href="/kb/codes/">エラーコード一覧</a>`},
			"tags.html":    {`<title>タグ一覧 | サポート KB</title>`, `<li aria-current="page">タグ一覧</li>`},
			"codes.html":   {`<h1>エラーコード一覧</h1>`, `2 件`},
			"search.html":  {`<title>検索 | サポート KB</title>`},
			"404.html":     {`<h1>ページが見つかりません</h1>`},
		},
		"en": {
			"article.html": {`<time datetime="2025-11-03T09:11:56Z">November 3, 2025</time>`, `<h2 id="kb-toc">Contents</h2>`},
			"home.html":    {`Recently updated`},
			"list.html":    {`2 articles`, `<a href="/kb/codes/">Error code index</a>`},
			"tags.html":    {`<title>All tags | サポート KB</title>`},
			"codes.html":   {`1 article<`},
			"search.html":  {`<title>Search | サポート KB</title>`},
			"404.html":     {`<h1>Page not found</h1>`},
		},
	}
	for _, lang := range []string{"ja", "en"} {
		for name, data := range pages(t) {
			t.Run(lang+"/"+name, func(t *testing.T) {
				out := execute(t, ts, name, withLang(data, lang))
				var want []string
				for _, w := range everywhere {
					if strings.Contains(w, "%s") {
						w = strings.ReplaceAll(w, "%s", lang)
					}
					want = append(want, w)
				}
				want = append(want, only[name]...)
				want = append(want, localized[lang][name]...)
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("output lacks %s", w)
					}
				}
				for _, bad := range []string{"ZgotmplZ", "<no value>", "%!"} {
					if strings.Contains(out, bad) {
						t.Errorf("output contains %q", bad)
					}
				}
				if err := checkHTML(out); err != nil {
					t.Errorf("malformed HTML: %v\n%s", err, out)
				}
			})
		}
	}
}

// withLang returns data with its page language set to lang.
func withLang(data any, lang string) any {
	switch d := data.(type) {
	case ArticlePage:
		d.Page.Lang = lang
		return d
	case ListPage:
		d.Lang = lang
		return d
	case IndexPage:
		d.Lang = lang
		return d
	}
	panic(fmt.Sprintf("withLang: unexpected %T", data))
}

var (
	tagRE  = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	idRE   = regexp.MustCompile(`\sid="([^"]*)"`)
	voids  = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}
	blocks = map[string]bool{"div": true, "p": true, "ul": true, "ol": true, "dl": true, "nav": true, "section": true, "header": true, "footer": true, "main": true, "aside": true, "article": true, "form": true, "pre": true, "table": true, "h1": true, "h2": true, "h3": true}
)

// checkHTML is a small structural check of the pages, short of the Nu
// checker that the browser tests run: every element closed in order (no
// optional end tags in our templates), no duplicate ids, no block element
// inside a paragraph, heading or phrasing element, exactly one <main>.
func checkHTML(s string) error {
	s = regexp.MustCompile(`(?s)<script>.*?</script>`).ReplaceAllString(s, "")
	var stack []string
	ids := make(map[string]bool)
	for _, m := range tagRE.FindAllStringSubmatch(s, -1) {
		closing, name := m[1] == "/", strings.ToLower(m[2])
		if voids[name] {
			continue
		}
		if closing {
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return fmt.Errorf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if blocks[name] && len(stack) > 0 {
			switch parent := stack[len(stack)-1]; parent {
			case "p", "h1", "h2", "h3", "a", "span", "time", "dt", "button":
				return fmt.Errorf("<%s> inside <%s>", name, parent)
			}
		}
		if id := idRE.FindStringSubmatch(m[3]); id != nil {
			if ids[id[1]] {
				return fmt.Errorf("duplicate id %q", id[1])
			}
			ids[id[1]] = true
		}
		stack = append(stack, name)
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	if n := strings.Count(s, "<main "); n != 1 {
		return fmt.Errorf("%d <main> elements", n)
	}
	return nil
}

// TestEscaping puts markup in every author-controlled string and checks it
// comes out as text.
func TestEscaping(t *testing.T) {
	const evil = `<img src=x onerror=alert(1)>`
	ts := mustLoad(t, nil)
	a := articlePage(t)
	a.Page.Title, a.ArticleSummary.Title, a.ErrorText, a.Description = evil, evil, evil, evil
	a.Tags = []Tag{{Name: evil, URL: "javascript:alert(1)"}}
	a.TOC = []Heading{{Level: 2, Text: evil, ID: `"><script>alert(1)</script>`}}
	a.Related = []Link{{Title: evil, URL: "/kb/x/"}}
	a.Breadcrumbs = []Link{{Title: evil, URL: "/kb/"}}
	a.Body = "<p>body</p>"
	l := ListPage{Page: page("tag", "ja", evil, "tags/x/"), Heading: evil, Intro: evil, Articles: []ArticleSummary{a.ArticleSummary}}
	l.Site.Title = evil
	for name, data := range map[string]any{"article.html": a, "list.html": l} {
		out := execute(t, ts, name, data)
		if strings.Contains(out, "<img") || strings.Contains(out, "<script>alert") || strings.Contains(out, "javascript:") {
			t.Errorf("%s: markup from data reached the page:\n%s", name, out)
		}
		if !strings.Contains(out, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: escaped title missing", name)
		}
	}
}

// TestArticleGolden locks the whole article page. Run with -update after an
// intended template change and review the diff.
func TestArticleGolden(t *testing.T) {
	out := execute(t, mustLoad(t, nil), "article.html", articlePage(t))
	golden(t, filepath.Join("testdata", "article.golden.html"), out)
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", file)
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update to accept):\n%s", file, diff(string(want), got))
	}
}

// diff shows the first differing lines with a little context; enough to
// see what changed in a page golden.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	for j := max(0, i-2); j < i; j++ {
		fmt.Fprintf(&b, "  %d: %s\n", j+1, w[j])
	}
	for j := i; j < min(i+5, len(w)); j++ {
		fmt.Fprintf(&b, "- %d: %s\n", j+1, w[j])
	}
	for j := i; j < min(i+5, len(g)); j++ {
		fmt.Fprintf(&b, "+ %d: %s\n", j+1, g[j])
	}
	return b.String()
}

func TestOverride(t *testing.T) {
	site := fstest.MapFS{
		"article.html":    {Data: []byte(`{{define "main"}}<p class="site-article">{{.Title}}</p>{{end}}`)},
		"extra.html":      {Data: []byte(`{{define "footer-note"}}note{{end}}`)},
		"home.html":       {Data: []byte(`{{define "main"}}{{template "footer-note"}}{{end}}`)},
		"assets/site.css": {Data: []byte("/* site */")},
		"assets/logo.svg": {Data: []byte("<svg/>")},
	}
	ts := mustLoad(t, site)
	p := pages(t)

	art := execute(t, ts, "article.html", p["article.html"])
	if !strings.Contains(art, `<p class="site-article">Windows のライセンス認証に失敗 0xC004F074</p>`) {
		t.Errorf("site article.html not used:\n%s", art)
	}
	if !strings.Contains(art, `<form class="search" role="search"`) {
		t.Errorf("default base.html not used under the site's article.html")
	}
	if h := execute(t, ts, "home.html", p["home.html"]); !strings.Contains(h, "<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\nnote") {
		t.Errorf("site partial file not parsed into the shared set:\n%s", h)
	}
	if l := execute(t, ts, "list.html", p["list.html"]); !strings.Contains(l, `<h1 class="code-title">`) {
		t.Errorf("default list.html not used")
	}

	for name, want := range map[string]string{"site.css": "/* site */", "logo.svg": "<svg/>"} {
		got, err := fs.ReadFile(ts.Assets(), name)
		if err != nil || string(got) != want {
			t.Errorf("Assets() %s = %q, %v, want %q", name, got, err, want)
		}
	}
	if js, err := fs.ReadFile(ts.Assets(), "site.js"); err != nil || !bytes.Contains(js, []byte("search-input")) {
		t.Errorf("Assets() site.js: default not served (%v)", err)
	}
	if err := fstest.TestFS(ts.Assets(), "site.css", "site.js", "icon.svg", "logo.svg"); err != nil {
		t.Error(err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		site fstest.MapFS
		want []string // substrings of the error
	}{
		{
			name: "syntax",
			site: fstest.MapFS{"article.html": {Data: []byte("{{define \"main\"}}\n<h1>{{.Title}</h1>{{end}}")}},
			want: []string{"templates/article.html", "article.html:2"},
		},
		{
			name: "unknown function",
			site: fstest.MapFS{"partials.html": {Data: []byte("\n\n{{define \"x\"}}{{nosuch .}}{{end}}")}},
			want: []string{"templates/partials.html", "partials.html:3", `"nosuch" not defined`},
		},
		{
			name: "unsafe context",
			site: fstest.MapFS{"list.html": {Data: []byte("{{define \"main\"}}\n{{if .Title}}<a href=\"{{end}}x{{end}}")}},
			want: []string{"templates/list.html", "list.html:2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.site)
			if err == nil {
				t.Fatalf("Load = nil error, want one mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestExecuteFailureWritesNothing(t *testing.T) {
	ts := mustLoad(t, nil)
	var b bytes.Buffer
	err := ts.Execute(&b, "article.html", ListPage{Page: page("article", "ja", "x", "x/")})
	if err == nil || b.Len() != 0 {
		t.Errorf("Execute(article.html, ListPage) = %v and %d bytes, want an error and nothing written", err, b.Len())
	}
	if err := ts.Execute(&b, "nosuch.html", nil); err == nil || !strings.Contains(err.Error(), `"nosuch.html"`) {
		t.Errorf("Execute(nosuch.html) = %v, want an error naming it", err)
	}
}

func TestFuncs(t *testing.T) {
	late := time.Date(2025, 1, 9, 23, 30, 0, 0, time.FixedZone("JST", 9*3600)) // 14:30 UTC
	tests := []struct {
		name, got, want string
	}{
		{"date ja", readableDate(updated, "ja"), "2025年11月3日"},
		{"date en", readableDate(updated, "en"), "November 3, 2025"},
		{"date other", readableDate(updated, "de"), "November 3, 2025"},
		{"date utc", readableDate(late, "ja"), "2025年1月9日"},
		{"count ja", count("ja", 1), "1 件"},
		{"count en 1", count("en", 1), "1 article"},
		{"count en 0", count("en", 0), "0 articles"},
		{"pageof ja", pageOf("ja", 2, 5), "2 / 5 ページ"},
		{"pageof en", pageOf("en", 2, 5), "page 2 of 5"},
		{"pagename ja", pageName("ja", 3), "3 ページ目"},
		{"pagename en", pageName("en", 3), "Page 3"},
		{"pagename other", pageName("de", 3), "Page 3"},
		{"showing ja", showing("ja", 21, 40, 95), "95 件中 21〜40 件"},
		{"showing ja one", showing("ja", 41, 41, 41), "41 件中 41 件目"},
		{"showing en", showing("en", 21, 40, 95), "21–40 of 95 articles"},
		{"showing en one", showing("en", 41, 41, 41), "41 of 41 articles"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	f := funcs()
	if got := f["isodate"].(func(time.Time) string)(updated); got != "2025-11-03" {
		t.Errorf("isodate = %q, want 2025-11-03", got)
	}
	if got := f["datetime"].(func(time.Time) string)(late); got != "2025-01-09T14:30:00Z" {
		t.Errorf("datetime = %q, want 2025-01-09T14:30:00Z", got)
	}
	if _, err := translate("ja", "nosuch"); err == nil {
		t.Errorf("translate(ja, nosuch) = nil error, want one")
	}
	if s, err := translate("fr", "search"); err != nil || s != "Search" {
		t.Errorf("translate(fr, search) = %q, %v, want English", s, err)
	}
	for lang, m := range uiStrings {
		for key := range uiStrings["en"] {
			if _, ok := m[key]; !ok {
				t.Errorf("uiStrings[%q] lacks %q", lang, key)
			}
		}
	}
}

// TestAssetsSmall keeps the default assets within the page-weight budget of
// issue 5 (an article page under 60 KB with HTML, CSS and JS).
func TestAssetsSmall(t *testing.T) {
	ts := mustLoad(t, nil)
	limits := map[string]int{"site.css": 10 << 10, "site.js": 7 << 10, "icon.svg": 1 << 10}
	for name, limit := range limits {
		b, err := fs.ReadFile(ts.Assets(), name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > limit {
			t.Errorf("%s is %d bytes, over its %d-byte budget", name, len(b), limit)
		}
	}
}

// TestReservedIDs checks that every literal id in the templates an article
// page is made from is reserved, so no heading anchor can take it.
func TestReservedIDs(t *testing.T) {
	re := regexp.MustCompile(`\bid="([A-Za-z][\w-]*)"`)
	for _, name := range []string{"base.html", "partials.html", "article.html"} {
		src, err := fs.ReadFile(templates.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(ReservedIDs(), m[1]) {
				t.Errorf("%s uses id %q, which ReservedIDs does not list", name, m[1])
			}
		}
	}
}

// TestRefers checks which page templates name Count, the counts of
// articles that an article added or removed changes: the default article
// page names none, and a site's article page that shows one directly, in
// a template it executes or through a variable does; a template that
// names Count but is not executed does not count.
func TestRefers(t *testing.T) {
	def := mustLoad(t, nil)
	if def.Refers("article.html", "Count") {
		t.Error("the default article page names Count")
	}
	if !def.Refers("home.html", "Count") {
		t.Error("the default home page (languages and tags with their counts) does not name Count")
	}
	if !def.Refers("article.html", "Title") {
		t.Error("the default article page does not name Title")
	}
	for _, tt := range []struct {
		name, article string
		want          bool
	}{
		{"field", `{{define "main"}}{{range .Tags}}{{.Count}}{{end}}{{end}}`, true},
		{"variable", `{{define "main"}}{{range $t := .Tags}}{{$t.Count}}{{end}}{{end}}`, true},
		{"chain", `{{define "main"}}{{(index .Site.Languages 0).Count}}{{end}}`, true},
		{"in an executed template", `{{define "main"}}{{template "counted" .}}{{end}}`, true},
		{"in a block", `{{define "main"}}{{block "inner" .}}{{with .Tags}}{{(index . 0).Count}}{{end}}{{end}}{{end}}`, true},
		{"in an else", `{{define "main"}}{{if .Tags}}x{{else}}{{(index .Site.Languages 0).Count}}{{end}}{{end}}`, true},
		// Printed whole, the counts are shown but not named: the
		// caller zeroes them for such a page (see Refers).
		{"printed whole", `{{define "main"}}{{.Site.Languages}}{{end}}`, false},
		{"not executed", `{{define "main"}}{{.Title}}{{end}}`, false},
	} {
		site := fstest.MapFS{
			"article.html": {Data: []byte(tt.article)},
			"counted.html": {Data: []byte(`{{define "counted"}}{{range .Tags}}{{.Name}} {{.Count}}{{end}}{{end}}`)},
		}
		if got := mustLoad(t, site).Refers("article.html", "Count"); got != tt.want {
			t.Errorf("%s: Refers(article.html, Count) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
