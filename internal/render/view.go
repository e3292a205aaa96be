package render

import (
	"html/template"
	"time"
)

// The view structs below are what templates see. They are filled by package
// site and hold only display-ready values: URLs are already prefixed with the
// site's base path, HTML is already rendered and sanitised.

// Site is what every page knows about the site.
type Site struct {
	Title     string            // site title from kbgen.yaml
	BaseURL   string            // absolute base URL, ending in "/" (e.g. "https://example.github.io/kb/"); may be "/"
	BasePath  string            // path part of BaseURL, ending in "/" (e.g. "/kb/"); prefix of every internal link
	Languages []Language        // configured languages in order
	Assets    map[string]string // logical asset name ("site.css", "site.js", "search.js", "search.css", "chroma.css") → URL with content hash
	SearchURL string            // URL of the search page ("/kb/search/")
	IndexURL  string            // URL of the search directory, ending in "/" ("/kb/search/"); its index.json names the export
	Generator string            // "kbgen <version>"

	// Optional links; when empty the templates use the default locations
	// under BasePath ("tags/", "codes/") or leave the link out (feed,
	// OpenSearch).
	TagsURL       string // URL of the tag index ("/kb/tags/")
	CodesURL      string // URL of the error-code index ("/kb/codes/")
	FeedURL       string // URL of the Atom feed ("/kb/feed.xml")
	OpenSearchURL string // URL of the OpenSearch description ("/kb/opensearch.xml")
}

// Language is one configured content language.
type Language struct {
	Code  string // "ja"
	Name  string // "日本語"
	URL   string // "/kb/ja/"
	Count int    // number of articles; 0 on an article, list, search or 404 page whose template names no Count (see Templates.Refers)
}

// Link is a titled link.
type Link struct {
	Title string
	URL   string
}

// Page is the part common to every HTML page.
type Page struct {
	Site        *Site
	Kind        string // "home", "article", "tag", "tags", "code", "codes", "lang", "search", "404"
	Lang        string // page language for <html lang>; the site's first language for index pages
	Title       string // page title (without the site title)
	Description string // meta description
	URL         string // the page's own path ("/kb/ja/kms-activation-0xc004f074/")
	Canonical   string // absolute URL (BaseURL-based), empty when BaseURL has no host
	Breadcrumbs []Link // home → … → parent; the page itself is not included
	// Pager is set on every page of a list split across pages (a
	// language, tag or code page with more articles than kbgen.yaml's
	// paginate) and nil on every other page. It is here rather than on
	// ListPage so that the layout can give any page its rel="prev" and
	// rel="next" links and its "page n of N" title.
	Pager *Pager
}

// Code is an error code as templates show it.
type Code struct {
	Code string // canonical, "0xC004F074"
	URL  string // "/kb/codes/0xC004F074/"
}

// Tag is a tag as templates show it.
type Tag struct {
	Name  string
	URL   string // "/kb/tags/kms/"
	Count int    // number of articles with the tag; 0 on an article, list, search or 404 page whose template names no Count (see Templates.Refers)
}

// Heading is one entry of an article's table of contents.
type Heading struct {
	Level int // 2 or 3
	Text  string
	ID    string // anchor, stable: derived from the heading text only
}

// ArticleSummary is an article in a list (home, tag, code, language pages).
type ArticleSummary struct {
	Title     string
	URL       string
	Lang      string
	ErrorText string
	Codes     []Code
	Tags      []Tag
	UpdatedAt time.Time
}

// ArticlePage is the data of an article page ("article.html").
type ArticlePage struct {
	Page
	ArticleSummary
	TOC     []Heading
	Related []Link        // links found in the related-cases section, resolved
	Body    template.HTML // the rendered Markdown body, highlighted and sanitised
	Source  string        // the source path relative to the site root ("content/ja/x.md")
}

// ListPage is the data of a page that lists articles: "home.html" and
// "list.html" (a language, tag or code page; Kind says which), and also of
// "search.html" and "404.html".
type ListPage struct {
	Page
	Heading  string           // e.g. the tag name, the code
	Intro    string           // e.g. the error text for a code page
	Articles []ArticleSummary // sorted by UpdatedAt descending, then URL; a paged list's are this page's (Pager says which)
	Tags     []Tag            // home: all tags by count
	Codes    []Code           // home: nothing; code page: nothing
}

// IndexPage is the data of "tags.html" and "codes.html": all tags or all
// codes, each with its articles.
type IndexPage struct {
	Page
	Tags  []Tag
	Codes []CodeEntry
}

// CodeEntry is one row of the code index.
type CodeEntry struct {
	Code
	ErrorText string // error text of the most recently updated article carrying it
	Count     int
}

// Title, Lang and URL exist both in the embedded Page and in the embedded
// ArticleSummary, so the promoted fields are ambiguous: a compile error in
// Go and a failed field lookup in templates ({{.Title}} would not evaluate).
// These methods settle it in favour of Page, the page-level values that the
// shared layout reads; site sets both to the same values anyway.

// Title returns the page title.
func (a ArticlePage) Title() string { return a.Page.Title }

// Lang returns the page language.
func (a ArticlePage) Lang() string { return a.Page.Lang }

// URL returns the page's own path.
func (a ArticlePage) URL() string { return a.Page.URL }

// ReservedIDs returns the element ids the default templates and scripts use
// on article pages. The Markdown renderer gives no heading one of them, so
// an article with a heading named "Search results" cannot capture the
// search box's results. A site whose own templates add ids beside these
// keeps them distinct from heading anchors itself.
func ReservedIDs() []string {
	return []string{"main", "search-input", "search-results", "search-page", "kb-toc", "kb-related", "sr-list"}
}
