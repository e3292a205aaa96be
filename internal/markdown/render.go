package markdown

import (
	"bufio"
	"errors"
	"fmt"
	stdhtml "html"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"

	"github.com/kbgen/kbgen/internal/highlight"
)

// Render writes the Doc as an HTML fragment.
//
// Every link, image and autolink destination is passed to resolve (nil:
// unchanged) and then through a safety filter: a javascript:, vbscript:,
// file: or data: URL becomes "#", except data:image/png, gif, jpeg or webp
// as an image source. resolve receives Link.Dest, the destination as the
// author meant it (escapes and character references decoded, not
// percent-encoded): relative paths, "#fragment", absolute URLs, and for
// autolinks the full URL ("http://" added to www. links, "mailto:" to
// e-mail addresses). What it returns is percent-encoded where needed and
// HTML-escaped.
//
// Headings carry id="Heading.ID". Code blocks go to the Highlighter. Raw
// HTML is dropped unless Config.Unsafe.
//
// Render does not modify the Doc: it may be called more than once, and from
// any goroutine, concurrently with Render on the same or other Docs.
func (d *Doc) Render(w io.Writer, resolve func(dest string) string) (err error) {
	if d == nil || d.m == nil {
		return errNoDoc
	}
	if d.released {
		return errReleased
	}
	bw := &renderWriter{Writer: newBufWriter(w), resolve: resolve}
	defer putBufWriter(bw.Writer)
	root := d.tree()
	if root == nil {
		_, _ = bw.WriteString("<pre><code>")
		_, _ = bw.WriteString(stdhtml.EscapeString(string(d.src)))
		_, _ = bw.WriteString("</code></pre>\n")
		return bw.Flush()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render markdown: %v", r)
		}
	}()
	return d.m.md.Renderer().Render(bw, d.src, root)
}

// bufWriters holds the bufio.Writers that Render gives goldmark, which
// wants one: a site renders thousands of documents, each of which would
// otherwise allocate a new 4 KB buffer.
var bufWriters sync.Pool

func newBufWriter(w io.Writer) *bufio.Writer {
	if bw, ok := bufWriters.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriter(w)
}

// putBufWriter returns bw to the pool, without its writer, which it must
// not keep alive.
func putBufWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	bufWriters.Put(bw)
}

// renderWriter carries one Render call's state to the node renderers, which
// goldmark calls with the writer it was given: the renderer itself is shared
// by every document and goroutine, so per-call state cannot live on it.
type renderWriter struct {
	*bufio.Writer
	resolve func(string) string
}

func resolver(w util.BufWriter) func(string) string {
	if rw, ok := w.(*renderWriter); ok {
		return rw.resolve
	}
	return nil
}

// nodeRenderer overrides goldmark's HTML renderer for the nodes whose
// output kbgen decides: text (for its soft line breaks), code blocks
// (highlighted), links, images and autolinks (resolved and filtered), and
// raw HTML (dropped).
type nodeRenderer struct {
	highlighter *highlight.Highlighter
	unsafe      bool
	writer      html.Writer
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindText, r.renderText)
	reg.Register(ast.KindFencedCodeBlock, r.renderCode)
	reg.Register(ast.KindCodeBlock, r.renderCode)
	reg.Register(ast.KindLink, r.renderLink)
	reg.Register(ast.KindImage, r.renderImage)
	reg.Register(ast.KindAutoLink, r.renderAutoLink)
	reg.Register(east.KindTaskCheckBox, renderTaskCheckBox)
	if !r.unsafe {
		// goldmark's default writes "<!-- raw HTML omitted -->" in
		// place of each; kbgen writes nothing.
		reg.Register(ast.KindHTMLBlock, renderNothing)
		reg.Register(ast.KindRawHTML, renderNothing)
	}
}

// renderTaskCheckBox writes a task list item's box. goldmark's own has no
// accessible name, which screen readers announce as an unlabelled control
// (axe-core: "Form elements must have labels").
func renderTaskCheckBox(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	if node.(*east.TaskCheckBox).IsChecked {
		w.WriteString(`<input checked="" disabled="" type="checkbox" aria-label="done"> `)
	} else {
		w.WriteString(`<input disabled="" type="checkbox" aria-label="to do"> `)
	}
	return ast.WalkContinue, nil
}

func renderNothing(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
	return ast.WalkSkipChildren, nil
}

// renderText is goldmark's text renderer with a fix to its East Asian line
// breaks: goldmark v1.8.7 drops a soft line break whenever the next node is
// not plain text, so "see\n[the guide](x.md)" renders as "seethe guide"
// (yuin/goldmark#582). Here the break is dropped only between two East
// Asian wide characters, looking into the next node for its first one.
func (r *nodeRenderer) renderText(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Text)
	value := n.Segment.Value(src)
	if n.IsRaw() {
		r.writer.RawWrite(w, value)
		return ast.WalkContinue, nil
	}
	r.writer.Write(w, value)
	switch {
	case n.HardLineBreak():
		_, _ = w.WriteString("<br>\n")
	case n.SoftLineBreak() && !joinLines(n, value, src):
		_ = w.WriteByte('\n')
	}
	return ast.WalkContinue, nil
}

func (r *nodeRenderer) renderCode(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	lang, code := codeLang(n, src), codeText(n, src)
	if r.highlighter != nil {
		return ast.WalkSkipChildren, r.highlighter.Block(w, lang, code)
	}
	_, _ = w.WriteString("<pre")
	if lang != "" {
		_, _ = w.WriteString(` data-lang="`)
		_, _ = w.WriteString(stdhtml.EscapeString(lang))
		_ = w.WriteByte('"')
	}
	_, _ = w.WriteString("><code>")
	_, _ = w.WriteString(stdhtml.EscapeString(code))
	_, err := w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, err
}

func (r *nodeRenderer) renderLink(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if !entering {
		_, err := w.WriteString("</a>")
		return ast.WalkContinue, err
	}
	_, _ = w.WriteString(`<a href="`)
	writeURL(w, linkDest(n), false)
	_ = w.WriteByte('"')
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		r.writer.Write(w, n.Title)
		_ = w.WriteByte('"')
	}
	_, err := w.WriteString(">")
	return ast.WalkContinue, err
}

func (r *nodeRenderer) renderImage(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.Image)
	_, _ = w.WriteString(`<img src="`)
	writeURL(w, linkDest(n), true)
	_, _ = w.WriteString(`" alt="`)
	_, _ = w.WriteString(stdhtml.EscapeString(altText(n, src)))
	_ = w.WriteByte('"')
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		r.writer.Write(w, n.Title)
		_ = w.WriteByte('"')
	}
	_, err := w.WriteString(">")
	return ast.WalkSkipChildren, err
}

func (r *nodeRenderer) renderAutoLink(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	_, _ = w.WriteString(`<a href="`)
	writeURL(w, autoLinkDest(n, src), false)
	_, _ = w.WriteString(`">`)
	_, _ = w.Write(util.EscapeHTML(n.Label(src)))
	_, err := w.WriteString("</a>")
	return ast.WalkContinue, err
}

// writeURL writes dest, resolved and filtered, as an attribute value.
func writeURL(w util.BufWriter, dest string, image bool) {
	if resolve := resolver(w); resolve != nil {
		dest = resolve(dest)
	}
	if dangerousURL(dest, image) {
		dest = "#"
	}
	_, _ = w.Write(util.EscapeHTML(util.URLEscape([]byte(dest), false)))
}

// altText is an image's description as plain text, for the alt attribute.
func altText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if s := b.String(); strings.ContainsAny(s, `\&`) {
		return newPlainWriter().decode([]byte(s))
	}
	return b.String()
}

// dangerousURL reports whether a destination would run script or reach
// the reader's file system: a javascript:, vbscript:, file: or data: URL,
// except, for an image, data:image/png, gif, jpeg or webp.
//
// The scheme is compared after undoing everything a browser or an earlier
// escaping layer might undo, so no spelling gets through: character
// references are decoded (repeatedly, "&amp;#106;" included), and
// whitespace, control and invisible format characters are removed
// anywhere, since URL parsers strip tabs and newlines inside a URL and
// leading spaces and controls before it (" JaVaScRiPt:", "java\tscript:",
// "&#106;avascript:", "javascript&colon;"). Removing them everywhere can
// only make more URLs look dangerous, never fewer.
func dangerousURL(dest string, image bool) bool {
	s := dest
	for range 4 {
		u := stdhtml.UnescapeString(s)
		if u == s {
			break
		}
		s = u
	}
	// Only the scheme matters, and "data:image/webp;" is the longest
	// prefix compared: keep enough kept characters for it.
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
		if b.Len() >= 32 {
			break
		}
	}
	s = b.String()
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	switch scheme {
	case "javascript", "vbscript", "file", "livescript":
		return true
	case "data":
		if !image {
			return true
		}
		for _, t := range []string{"image/png", "image/gif", "image/jpeg", "image/webp"} {
			if after, ok := strings.CutPrefix(rest, t); ok && (strings.HasPrefix(after, ";") || strings.HasPrefix(after, ",")) {
				return false
			}
		}
		return true
	}
	return false
}

var (
	errNoDoc    = errors.New("render markdown: doc not made by Parse")
	errReleased = errors.New("render markdown: the doc's source was released")
)
