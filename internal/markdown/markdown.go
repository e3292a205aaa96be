package markdown

import (
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/kbgen/kbgen/internal/highlight"
)

// Config configures a Markdown.
type Config struct {
	// Highlighter renders fenced and indented code blocks; nil writes them
	// as escaped plain text.
	Highlighter *highlight.Highlighter

	// Unsafe emits raw HTML blocks and inline HTML as written. By default
	// they are dropped: articles are Markdown, and raw HTML is where
	// script and event-handler attributes would get in. Link and image
	// destinations are filtered either way.
	Unsafe bool

	// ReservedIDs are element IDs the page templates use themselves
	// ("search-input", "search-results"…). A heading whose ID would equal
	// one gets a "-2" suffix instead, so a heading named "Search results"
	// cannot capture the page's own getElementById.
	ReservedIDs []string
}

// Markdown is kbgen's goldmark configuration. Build one per site build with
// New and share it: Parse and Render may be called from any number of
// goroutines at once, since goldmark's parser and renderer keep no state
// between documents.
type Markdown struct {
	md       goldmark.Markdown
	reserved map[string]bool
}

// New builds the goldmark parser and renderer for cfg.
//
// The parser has CommonMark plus the GFM table, strikethrough, task list
// and linkify extensions. It does not generate heading IDs (Parse does, from
// the heading text alone) and does not accept attribute syntax ({#id}), so
// an ID is always what Heading.ID says.
//
// The renderer is goldmark's HTML renderer with the CJK behaviour (a soft
// line break between two East Asian wide characters is dropped, as a
// Japanese reader expects, and "\ " can separate emphasis from Japanese
// text), and with kbgen's own renderers for text, code blocks, links,
// images, autolinks and raw HTML.
func New(cfg Config) *Markdown {
	// goldmark's extension.CJK is two settings: an HTML writer that drops
	// escaped spaces (with the parser option that produces them), and the
	// East Asian line-break style of the text renderer. kbgen's own text
	// renderer implements the line breaks (see renderText), and the writer
	// is built here so that renderer, the link titles and goldmark's
	// renderers all decode text the same way.
	writer := html.NewWriter(html.WithEscapedSpace())
	rendererOpts := []renderer.Option{
		html.WithWriter(writer),
		renderer.WithNodeRenderers(util.Prioritized(&nodeRenderer{
			highlighter: cfg.Highlighter,
			unsafe:      cfg.Unsafe,
			writer:      writer,
		}, 100)),
	}
	if cfg.Unsafe {
		rendererOpts = append(rendererOpts, html.WithUnsafe())
	}
	md := goldmark.New(
		goldmark.WithExtensions(
			extension.Table,
			extension.Strikethrough,
			extension.TaskList,
			extension.Linkify,
		),
		goldmark.WithParserOptions(
			parser.WithEscapedSpace(),
			// Guards against goldmark's quadratic paths on hostile
			// input (limits.go): tried before every container, link,
			// emphasis and strikethrough parser (lower runs first).
			parser.WithBlockParsers(util.Prioritized(newNestingGuard(), 50)),
			parser.WithInlineParsers(util.Prioritized(newInlineGuard(), 150)),
		),
		goldmark.WithRendererOptions(rendererOpts...),
	)
	m := &Markdown{md: md, reserved: make(map[string]bool, len(cfg.ReservedIDs))}
	for _, id := range cfg.ReservedIDs {
		m.reserved[id] = true
	}
	return m
}

// Doc is a parsed article body: the AST and source kept for Render, and
// what validation and indexing need, extracted in the same single pass.
// Parse fills every exported field; callers treat a Doc as read-only.
type Doc struct {
	Headings []Heading // in document order, at any depth of nesting
	Links    []Link    // links, images and autolinks in document order

	// Text is the plain text of the whole body, code included, for
	// indexing: entities and escapes decoded, markup and raw HTML
	// dropped, one block per line (table cells separated by tabs).
	Text string

	m         *Markdown
	src       []byte
	root      ast.Node // nil when goldmark could not parse src, or after Compact
	compacted bool     // Compact dropped root: Render parses src again
	released  bool     // Release dropped src too: Render fails
}

// Source returns the Markdown the document was parsed from. Everything
// Render writes is derived from it, the Markdown's configuration and the
// resolve function, which is what lets a caller cache rendered documents
// by a hash of the three. The caller must not modify it.
func (d *Doc) Source() []byte { return d.src }

// Compact drops the document's syntax tree, keeping what Parse extracted
// and the source. A tree takes about fourteen times the memory of its
// source (100 KB for the seed article), so a site of 100,000 articles
// cannot hold them all between validation and rendering; Render parses the
// source again instead, at about a fifth of the cost of rendering.
func (d *Doc) Compact() {
	if d.root != nil {
		d.root = nil
		d.compacted = true
	}
}

// Release drops the document's source as well as its syntax tree,
// keeping what Parse extracted; Render then fails. A caller that can read
// the source again makes a Doc to render with Restore(src, *d). A site of
// 100,000 articles holds 460 MB of Markdown from checking to rendering
// otherwise: a fifth of its live heap, which the garbage collector scans
// on every cycle. A Doc that goldmark could not parse keeps its source,
// which Render writes as text: it has no tree to make again.
func (d *Doc) Release() {
	if d.root == nil && !d.compacted {
		return
	}
	d.Compact()
	d.src = nil
	d.released = true
}

// Released reports whether Release dropped the document's source.
func (d *Doc) Released() bool { return d.released }

// Restore returns the Doc that Parse of src followed by Compact returns
// when Parse extracted parts' Headings, Links and Text (its
// unexported fields are ignored): Render parses src again, as after
// Compact. It lets kbgen's parse cache (internal/site) keep what Parse
// extracted from an unchanged file instead of parsing it again on every
// build: parsing is most of the CPU time of loading an unchanged site.
//
// The caller vouches that parts is what m, or a Markdown of the same
// configuration, extracted from src: Render takes the heading IDs from
// parts.Headings, and the Doc keeps src, which the caller must not modify.
// A Doc that Parse could not parse (its plain-text Doc, which Render writes
// as preformatted text) cannot be restored: the restored Doc would be
// parsed again.
func (m *Markdown) Restore(src []byte, parts Doc) *Doc {
	return &Doc{
		Headings:  parts.Headings,
		Links:     parts.Links,
		Text:      parts.Text,
		m:         m,
		src:       src,
		compacted: true,
	}
}

// tree returns the syntax tree to render, parsing the source again after
// Compact and giving its headings the IDs Parse chose.
func (d *Doc) tree() ast.Node {
	if !d.compacted {
		return d.root
	}
	root := d.m.md.Parser().Parse(text.NewReader(d.src))
	i := 0
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && i < len(d.Headings) {
			h.SetAttributeString("id", []byte(d.Headings[i].ID))
			i++
		}
		return ast.WalkContinue, nil
	})
	return root
}

// Parse parses src, an article body whose first line is line firstLine
// (1-based) of its file, so that every position in the Doc is a file
// position. The Doc keeps src: the caller must not modify it afterwards.
//
// Parse never fails. Should goldmark panic on some input, the Doc holds the
// body as plain text, with no headings or links, and Render writes it as
// preformatted text; the article's schema check then reports the missing
// sections.
func (m *Markdown) Parse(src []byte, firstLine int) (d *Doc) {
	if firstLine < 1 {
		firstLine = 1
	}
	defer func() {
		if recover() != nil {
			d = &Doc{Text: string(src), m: m, src: src}
		}
	}()
	root := m.md.Parser().Parse(text.NewReader(src))
	d = &Doc{m: m, src: src, root: root}
	extract(d, firstLine)
	return d
}
