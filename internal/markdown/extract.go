package markdown

import (
	"bufio"
	"bytes"
	stdhtml "html"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// extractor holds the state of the one walk over the AST that fills a Doc.
//
// Text is built as the walk goes; headings, links and section bodies are
// recorded as byte ranges of it and sliced from the finished string, so the
// walk costs one pass and one copy of the text however many headings and
// links share it.
type extractor struct {
	d     *Doc
	src   []byte
	pos   positions
	ids   idSet
	text  strings.Builder
	plain *plainWriter

	headingText []span // per heading: its text
	bodies      []span // per heading: its body
	open        []int  // headings whose sections are still open; levels increase
	current     int    // the last heading entered, -1 before the first

	linkText []span // per link
	linkOpen []int  // links and images entered and not yet left
}

type span struct{ start, end int }

func extract(d *Doc, firstLine int) {
	x := &extractor{
		d:       d,
		src:     d.src,
		pos:     newPositions(d.src, firstLine),
		ids:     newIDSet(d.m.reserved),
		current: -1,
	}
	x.text.Grow(len(d.src))
	_ = ast.Walk(d.root, x.visit)
	x.closeSections(0)

	text := x.text.String()
	if x.text.Cap()-len(text) > len(text)/8 {
		// The builder was grown to the source's size, which markup
		// makes larger than its text: keep the text alone, since a
		// large site holds every article's text until it is indexed.
		text = strings.Clone(text)
	}
	d.Text = text
	for i := range d.Headings {
		h := &d.Headings[i]
		h.Text = oneLine(strings.TrimSpace(text[x.headingText[i].start:x.headingText[i].end]))
		h.Body = strings.TrimSpace(text[x.bodies[i].start:x.bodies[i].end])
	}
	for i := range d.Links {
		d.Links[i].Text = oneLine(strings.TrimSpace(text[x.linkText[i].start:x.linkText[i].end]))
	}
}

func (x *extractor) visit(n ast.Node, entering bool) (ast.WalkStatus, error) {
	if n.Type() == ast.TypeBlock {
		return x.block(n, entering), nil
	}
	if n.Type() == ast.TypeInline {
		return x.inline(n, entering), nil
	}
	return ast.WalkContinue, nil
}

func (x *extractor) block(n ast.Node, entering bool) ast.WalkStatus {
	switch n := n.(type) {
	case *ast.Heading:
		if entering {
			x.closeSections(n.Level)
			x.content()
			x.newBlock()
			line, col := x.pos.at(blockPos(n))
			x.d.Headings = append(x.d.Headings, Heading{Level: n.Level, Line: line, Col: col, Empty: true})
			x.headingText = append(x.headingText, span{start: x.text.Len()})
			x.bodies = append(x.bodies, span{})
			x.current = len(x.d.Headings) - 1
			return ast.WalkContinue
		}
		i := x.current
		x.headingText[i].end = x.text.Len()
		x.bodies[i].start = x.text.Len()
		x.open = append(x.open, i)
		// The ID is fixed here, in document order, from the heading's
		// text alone: editing a section's body never moves an anchor.
		raw := x.text.String()[x.headingText[i].start:x.headingText[i].end]
		id := x.ids.unique(slug(raw))
		x.d.Headings[i].ID = id
		n.SetAttributeString("id", []byte(id))
		return ast.WalkContinue

	case *ast.FencedCodeBlock, *ast.CodeBlock:
		if !entering {
			return ast.WalkContinue
		}
		x.content()
		x.newBlock()
		x.text.WriteString(codeText(n, x.src))
		return ast.WalkSkipChildren

	case *ast.HTMLBlock, *ast.LinkReferenceDefinition:
		// Raw HTML is not prose (and is dropped from the page unless
		// Unsafe); a reference definition is markup. Neither makes a
		// section non-empty: a section holding only "<!-- TODO -->" is
		// still empty.
		return ast.WalkSkipChildren

	case *ast.ThematicBreak:
		return ast.WalkContinue

	case *ast.Paragraph, *ast.TextBlock, *east.TableRow, *east.TableHeader:
		if entering {
			x.content()
			x.newBlock()
		}
		return ast.WalkContinue

	case *east.TableCell:
		if entering && n.PreviousSibling() != nil {
			x.text.WriteByte('\t')
		}
		return ast.WalkContinue
	}
	// Containers (lists, items, block quotes, tables) and block kinds from
	// extensions: content, and their children supply the text.
	if entering {
		x.content()
	}
	return ast.WalkContinue
}

func (x *extractor) inline(n ast.Node, entering bool) ast.WalkStatus {
	switch n := n.(type) {
	case *ast.Text:
		if entering {
			x.inlineText(n)
		}
	case *ast.String:
		if entering {
			x.text.Write(n.Value)
		}
	case *ast.AutoLink:
		if entering {
			label := n.Label(x.src)
			p := n.Pos()
			// Linkify's autolinks are positioned where its parser was
			// triggered, which can be the space before the URL; point
			// at the URL itself.
			if p >= 0 && p < len(x.src) && x.src[p] != '<' {
				end := min(len(x.src), p+len(label)+8)
				if i := bytes.Index(x.src[p:end], label); i >= 0 {
					p += i
				}
			}
			start := x.text.Len()
			x.text.Write(label)
			x.addLink(n, autoLinkDest(n, x.src), false, p, span{start, x.text.Len()})
		}
		return ast.WalkSkipChildren
	case *ast.Link, *ast.Image:
		if entering {
			_, image := n.(*ast.Image)
			x.linkOpen = append(x.linkOpen, len(x.d.Links))
			x.addLink(n, linkDest(n), image, n.Pos(), span{start: x.text.Len()})
		} else {
			i := x.linkOpen[len(x.linkOpen)-1]
			x.linkOpen = x.linkOpen[:len(x.linkOpen)-1]
			x.linkText[i].end = x.text.Len()
		}
	case *ast.RawHTML:
		return ast.WalkSkipChildren
	}
	return ast.WalkContinue
}

func (x *extractor) addLink(n ast.Node, dest string, image bool, p int, text span) {
	if p < 0 {
		p = inlinePos(n)
	}
	line, col := x.pos.at(p)
	x.d.Links = append(x.d.Links, Link{Dest: dest, Image: image, Line: line, Col: col, In: x.current})
	x.linkText = append(x.linkText, text)
}

// inlineText appends a text node's plain text, decoded as the renderer
// decodes it, and its line break.
func (x *extractor) inlineText(n *ast.Text) {
	value := n.Segment.Value(x.src)
	switch {
	case n.IsRaw():
		// Code span content: verbatim, its line endings read as spaces
		// as the renderer shows them.
		if len(value) > 0 && value[len(value)-1] == '\n' {
			x.text.Write(value[:len(value)-1])
			x.text.WriteByte(' ')
			return
		}
		x.text.Write(value)
	case bytes.IndexByte(value, '\\') >= 0 || bytes.IndexByte(value, '&') >= 0:
		x.text.WriteString(x.decode(value))
	default:
		x.text.Write(value)
	}
	switch {
	case n.HardLineBreak():
		x.text.WriteByte('\n')
	case n.SoftLineBreak() && !joinLines(n, value, x.src):
		x.text.WriteByte('\n')
	}
}

// joinLines reports whether the soft line break at the end of text node n
// (whose content is value) joins its lines with nothing: when the
// characters either side are both East Asian wide, as a Japanese reader
// expects ("日本語の文章は\n改行しても" is one phrase). Otherwise the break
// stays and reads as a space. The text and the page apply the same rule,
// so the indexer sees the words the reader sees.
func joinLines(n *ast.Text, value, src []byte) bool {
	if len(value) == 0 {
		return false
	}
	last, _ := utf8.DecodeLastRune(value)
	if !util.IsEastAsianWideRune(last) {
		return false
	}
	first, ok := firstRune(n.NextSibling(), src)
	return ok && util.IsEastAsianWideRune(first)
}

// firstRune returns the first character node n displays: its own text, or
// that of its first descendant ("**強調**" starts with 強). Only the chain of
// first children is followed, so the cost is the nesting depth.
func firstRune(n ast.Node, src []byte) (rune, bool) {
	for ; n != nil; n = n.FirstChild() {
		var v []byte
		switch n := n.(type) {
		case *ast.Text:
			v = n.Segment.Value(src)
		case *ast.String:
			v = n.Value
		case *ast.AutoLink:
			v = n.Label(src)
		case *ast.Image, *ast.RawHTML:
			return 0, false
		default:
			continue
		}
		if len(v) == 0 {
			return 0, false
		}
		r, _ := utf8.DecodeRune(v)
		return r, true
	}
	return 0, false
}

// decode returns the plain text of Markdown text with backslash escapes and
// character references, by the same rules the renderer applies.
func (x *extractor) decode(value []byte) string {
	if x.plain == nil {
		x.plain = newPlainWriter()
	}
	return x.plain.decode(value)
}

// plainWriter decodes text through goldmark's HTML writer and back, so that
// the text agrees with the page on every escape and entity rule (including
// the CJK escaped space) without reimplementing them.
type plainWriter struct {
	buf bytes.Buffer
	w   *bufio.Writer
	hw  html.Writer
}

func newPlainWriter() *plainWriter {
	p := &plainWriter{hw: html.NewWriter(html.WithEscapedSpace())}
	p.w = bufio.NewWriter(&p.buf)
	return p
}

func (p *plainWriter) decode(value []byte) string {
	p.buf.Reset()
	p.hw.Write(p.w, value)
	_ = p.w.Flush()
	return stdhtml.UnescapeString(p.buf.String())
}

// content records that a block follows the open headings: their sections
// are not empty.
func (x *extractor) content() {
	for _, i := range x.open {
		x.d.Headings[i].Empty = false
	}
}

// newBlock starts a block's text on a line of its own.
func (x *extractor) newBlock() {
	if x.text.Len() > 0 {
		s := x.text.String()
		if s[len(s)-1] != '\n' {
			x.text.WriteByte('\n')
		}
	}
}

// closeSections ends the sections of open headings of level >= level (all
// of them for level 0): their bodies end where the text now ends.
func (x *extractor) closeSections(level int) {
	end := x.text.Len()
	for len(x.open) > 0 {
		i := x.open[len(x.open)-1]
		if level > 0 && x.d.Headings[i].Level < level {
			break
		}
		x.bodies[i].end = end
		x.open = x.open[:len(x.open)-1]
	}
}

// oneLine replaces the line breaks of heading or link text with spaces.
func oneLine(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// codeText returns a code block's content as written, each line with its
// line ending.
func codeText(n ast.Node, src []byte) string {
	lines := n.Lines()
	size := 0
	for i := range lines.Len() {
		seg := lines.At(i)
		size += seg.Len()
	}
	var b strings.Builder
	b.Grow(size) // one allocation, not one per doubling
	for i := range lines.Len() {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// codeLang returns the first word of a fenced code block's info string,
// with escapes and references decoded as CommonMark specifies for info
// strings; "" for an indented block or a fence without one.
func codeLang(n ast.Node, src []byte) string {
	f, ok := n.(*ast.FencedCodeBlock)
	if !ok {
		return ""
	}
	lang := f.Language(src)
	if lang == nil {
		return ""
	}
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(lang))))
}

// linkDest returns a link's or image's destination as the author meant it:
// backslash escapes and character references decoded, exactly as goldmark
// decodes it before writing the href, but not percent-encoded.
func linkDest(n ast.Node) string {
	var dest []byte
	switch n := n.(type) {
	case *ast.Link:
		dest = n.Destination
	case *ast.Image:
		dest = n.Destination
	}
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(dest))))
}

// autoLinkDest returns an autolink's URL: "http://" added to a bare
// "www." link, "mailto:" to an e-mail address.
func autoLinkDest(n *ast.AutoLink, src []byte) string {
	url := string(n.URL(src))
	if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
		url = "mailto:" + url
	}
	return url
}

// blockPos returns the byte offset where a block starts in the source:
// goldmark's position (the first non-space character of the block's first
// line, container markers excluded), or its first line when it has none.
func blockPos(n ast.Node) int {
	if p := n.Pos(); p >= 0 {
		return p
	}
	if lines := n.Lines(); lines != nil && lines.Len() > 0 {
		return lines.At(0).Start
	}
	return -1
}

// inlinePos returns the position of an inline node that goldmark left
// unpositioned: that of its nearest positioned ancestor.
func inlinePos(n ast.Node) int {
	for ; n != nil; n = n.Parent() {
		if n.Type() == ast.TypeBlock {
			return blockPos(n)
		}
		if p := n.Pos(); p >= 0 {
			return p
		}
	}
	return -1
}

// positions maps byte offsets of the body to 1-based file lines and
// character columns.
//
// Lookups come in document order, so the last one is remembered and the
// next one on the same line counts characters from there: a 1 MB line
// with thousands of links costs one pass over the line, not one per link.
type positions struct {
	src        []byte
	firstLine  int
	lineStarts []int

	lastOff, lastLine, lastCol int // the previous lookup; lastLine -1 for none
}

func newPositions(src []byte, firstLine int) positions {
	starts := make([]int, 1, bytes.Count(src, []byte{'\n'})+1)
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return positions{src: src, firstLine: firstLine, lineStarts: starts, lastLine: -1}
}

// at returns the file line and character column of byte offset off. An
// offset that goldmark did not give (negative) yields the first line.
func (p *positions) at(off int) (line, col int) {
	off = max(0, min(off, len(p.src)))
	l := sort.Search(len(p.lineStarts), func(i int) bool { return p.lineStarts[i] > off }) - 1
	var c int
	if l == p.lastLine && off >= p.lastOff {
		c = p.lastCol + utf8.RuneCount(p.src[p.lastOff:off])
	} else {
		c = utf8.RuneCount(p.src[p.lineStarts[l]:off]) + 1
	}
	p.lastOff, p.lastLine, p.lastCol = off, l, c
	return p.firstLine + l, c
}
