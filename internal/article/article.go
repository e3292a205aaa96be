package article

import (
	"bytes"
	pathpkg "path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/markdown"
)

// Article is one parsed article file.
type Article struct {
	Path string // fs.FS name of the file, "content/ja/x.md"; the File of every position
	Frontmatter
	Doc      *markdown.Doc  // the body, parsed once; never nil; positions are file positions
	Sections []Section      // the H2 sections, in document order
	Codes    []errcode.Code // canonical, distinct, primary first (see the package doc)
	BodyLine int            // 1-based file line where the body starts (the line after the closing ---)
	EndLine  int            // 1-based line of the last non-blank line of the file, where "missing at the end" is reported
}

// Frontmatter is the typed frontmatter of an article. The package doc lists
// the keys and their rules.
type Frontmatter struct {
	Title     string
	ErrorText string
	Tags      []string
	UpdatedAt time.Time // as written: the offset is kept; a plain date is midnight UTC
	Lang      string
	Codes     []errcode.Code // the codes key, canonical, distinct, in written order
	Draft     bool
}

// Section is an H2 section of the body: the heading and what follows it up to
// the next heading of level 1 or 2.
type Section struct {
	Heading string   // plain text of the heading, as written ("よくある原因（優先度順）")
	ID      string   // the heading's anchor
	Pos     diag.Pos // the heading's "#" marker
	Empty   bool     // nothing between the heading and the next H1 or H2
	Text    string   // plain text of the section, without the heading
}

// Options configures Parse. The zero value parses with a default Markdown
// configuration, requires a lang and accepts any, and treats no section as
// related cases.
type Options struct {
	// Markdown parses the bodies. Builds pass the one shared instance; nil
	// makes a new one per call, which is fine for tests and tools only.
	Markdown *markdown.Markdown
	// Languages are the allowed values of lang. Empty allows any non-empty value.
	Languages []string
	// DefaultLang is the lang of an article whose frontmatter has no lang
	// key (kbgen.yaml defaultLang). Empty: lang is required. It is not
	// checked against Languages; the site checks its configuration.
	DefaultLang string
	// Related reports whether an H2 heading in language lang is the
	// related-cases section, whose codes are not the article's own. Nil: none is.
	Related func(lang, heading string) bool
	// Aliases maps frontmatter keys of another tool to kbgen's keys
	// ("ms.date" → "updatedAt"), for imported content. A kbgen key written
	// in the file wins over its alias.
	Aliases map[string]string
	// Imported relaxes the frontmatter rules for content written for
	// another tool: unknown keys are not reported, a missing title or
	// updatedAt is a warning (the title falls back to the first heading,
	// then the file name).
	Imported bool
}

// Parse parses the article file at path (the fs.FS name, used in every
// position) with contents src. It returns the diagnostics for every problem
// found. The Article is nil when the file cannot be read as an article at all:
// invalid UTF-8, or no frontmatter. Otherwise it is returned even when the
// list holds errors, with what could be read; see the package doc.
//
// Parse does not keep or modify src. It never panics (markdown.Parse turns a
// goldmark panic into a plain-text Doc). It may be called from many
// goroutines at once with the same Options, as long as Related is safe for
// concurrent use, as schema.Related is.
func Parse(path string, src []byte, opts Options) (*Article, diag.List) {
	var l diag.List
	if checkUTF8(path, bytes.TrimPrefix(src, bom), &l) {
		return nil, l
	}
	src = Normalize(src)

	fm, ok := splitFrontmatter(path, src, &l)
	if !ok {
		return nil, l
	}
	a := &Article{Path: path}
	a.Frontmatter = decodeFrontmatter(path, fm, opts, &l)
	a.BodyLine = 1 + bytes.Count(src[:fm.bodyOff], []byte("\n"))
	a.EndLine = lastLine(src)

	md := opts.Markdown
	if md == nil {
		md = markdown.New(markdown.Config{})
	}
	// The Doc keeps the body it was given, for as long as the site keeps
	// the article, so it gets a copy of its own: the caller's src stays
	// the caller's, and the library's copy (fm.body) is a slice of a
	// buffer that grew by doubling, up to twice the file's size, which
	// on a large site is hundreds of megabytes of live heap for the
	// garbage collector to scan and keep room for.
	doc := md.Parse(bytes.Clone(fm.body), a.BodyLine)
	a.Doc = doc
	if a.Title == "" && opts.Imported {
		a.Title = strings.TrimSuffix(pathpkg.Base(path), ".md")
		for _, h := range doc.Headings {
			if h.Level == 1 {
				a.Title = h.Text
				break
			}
		}
	}
	var related []string // text of the related-cases sections, heading included
	h2 := 0
	for _, h := range doc.Headings {
		if h.Level == 2 {
			h2++
		}
	}
	if h2 > 0 {
		// One allocation of the final size: a site keeps every
		// article's sections, and growing by appends left a third of
		// them unused.
		a.Sections = make([]Section, 0, h2)
	}
	for _, h := range doc.Headings {
		if h.Level != 2 {
			continue
		}
		a.Sections = append(a.Sections, Section{
			Heading: h.Text,
			ID:      h.ID,
			Pos:     diag.Pos{File: path, Line: h.Line, Col: h.Col},
			Empty:   h.Empty,
			Text:    h.Body,
		})
		if opts.Related != nil && opts.Related(a.Lang, h.Text) {
			related = append(related, h.Text, h.Body)
		}
	}
	a.Codes = articleCodes(a.Frontmatter, doc.Text, related)
	return a, l
}

// bom is the UTF-8 byte order mark, which some Windows editors write.
var bom = []byte("\uFEFF")

// Normalize returns src as Parse reads it: without a leading UTF-8 byte
// order mark, with CRLF line endings as LF. The Article's body
// (Doc.Source) is a suffix of it. It is exported for the site's parse
// cache, which stores where the body starts instead of the body, and so
// must cut it from the file the same way Parse does. It returns src itself
// (or a subslice) when there are no CRLFs, and a new slice otherwise.
//
// Dropping \r before \n changes no line number, and no column either,
// since \r is always last on its line.
func Normalize(src []byte) []byte {
	src = bytes.TrimPrefix(src, bom)
	if bytes.Contains(src, []byte("\r\n")) {
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	}
	return src
}

// articleCodes returns the codes of an article in the order the package doc
// gives. A body code counts only if it occurs more often in the whole text
// than in the related-cases sections: counting, rather than cutting those
// sections out of the text, needs nothing from the Markdown package beyond
// its plain text, and a code named both in the body and under related cases
// is still the article's.
func articleCodes(fm Frontmatter, text string, related []string) []errcode.Code {
	var out []errcode.Code
	seen := make(map[errcode.Code]bool)
	add := func(c errcode.Code) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	// The title names the article's subject; codes: lists extra codes.
	for _, s := range []string{fm.Title, fm.ErrorText} {
		for _, m := range errcode.Find(s) {
			add(m.Code)
		}
	}
	for _, c := range fm.Codes {
		add(c)
	}
	inRelated := make(map[errcode.Code]int)
	for _, s := range related {
		for _, m := range errcode.Find(s) {
			inRelated[m.Code]++
		}
	}
	inText := make(map[errcode.Code]int)
	ms := errcode.Find(text)
	for _, m := range ms {
		inText[m.Code]++
	}
	for _, m := range ms {
		if inText[m.Code] > inRelated[m.Code] {
			add(m.Code)
		}
	}
	return out
}

// checkUTF8 reports the first invalid byte of src, if any, and says whether
// there was one. Only the first is reported: after it the rest of the file
// is most likely in another encoding altogether.
func checkUTF8(path string, src []byte, l *diag.List) bool {
	if utf8.Valid(src) {
		return false
	}
	if bytes.HasPrefix(src, []byte{0xFF, 0xFE}) || bytes.HasPrefix(src, []byte{0xFE, 0xFF}) {
		l.Errorf(diag.Pos{File: path, Line: 1, Col: 1}, "invalid UTF-8: the file starts with a UTF-16 byte order mark; save it as UTF-8")
		return true
	}
	off := 0
	for off < len(src) {
		r, n := utf8.DecodeRune(src[off:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		off += n
	}
	lineStart := bytes.LastIndexByte(src[:off], '\n') + 1
	pos := diag.Pos{
		File: path,
		Line: 1 + bytes.Count(src[:off], []byte("\n")),
		Col:  diag.Col(src[lineStart:], off-lineStart),
	}
	l.Errorf(pos, "invalid UTF-8: byte %#02x is not part of a UTF-8 character; save the file as UTF-8", src[off])
	return true
}

// lastLine returns the 1-based number of the last line of src holding
// anything but white space, or 1.
func lastLine(src []byte) int {
	end := len(bytes.TrimRight(src, " \t\n\r"))
	return 1 + bytes.Count(src[:end], []byte("\n"))
}
