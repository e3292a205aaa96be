// Package markdown holds kbgen's one goldmark configuration: parsing an
// article body once into a Doc whose headings, links, code blocks and plain
// text serve validation and indexing, and rendering that same Doc to HTML
// with highlighted code and rewritten links.
//
// It is the only package that imports goldmark. Build one Markdown per site
// build with New and share it between goroutines.
//
// # Dialect
//
// CommonMark with the GFM table, strikethrough, task list and linkify
// extensions, and goldmark's CJK settings: a soft line break between two
// East Asian wide characters is dropped rather than rendered as a space,
// and "\ " is an escaped space that renders as nothing. No attribute syntax,
// no typographer, no footnotes.
//
// # Positions
//
// Parse is given the file line where the body starts, so Heading.Line and
// Link.Line are file lines, ready for diagnostics.
// Columns count characters (code points), not bytes, as diag.Pos requires:
// the "#" of "## 見出し" indented by two spaces in a list item is column 3.
// A heading's column is that of its "#" (or of its text, for a setext
// heading); a link's is that of its "[" ("!" for an image, "<" for an
// autolink in angle brackets, the first character of a linkified URL).
//
// # Heading IDs
//
// Each heading's ID comes from its own plain text only, never from its
// position or its section's body, so editing a section does not break links
// to it. Letters and digits of any script are kept (Japanese as written),
// ASCII letters are lower-cased, full-width ASCII is folded to ASCII, and
// every run of spaces, punctuation (full-width included) and symbols
// becomes one "-", trimmed at both ends; a heading with nothing left is
// "section". The second heading with the same ID gets "-2", the third "-3",
// and so on, as do headings that would take an ID in Config.ReservedIDs.
// Examples:
//
//	よくある原因（優先度順）   → よくある原因-優先度順
//	詳細手順（Windows 10/11） → 詳細手順-windows-10-11
//	Step 1: Run `slmgr /ato`  → step-1-run-slmgr-ato
//	⚠ 注意                    → 注意
//
// # Sections
//
// A heading's section runs to the next heading of the same or a higher
// level (a smaller or equal Level). Heading.Body is the section's plain
// text, subheadings included; Heading.Empty says no block at all stands
// in it. Raw HTML blocks and link reference definitions do not count as
// blocks: a section holding only "<!-- TODO -->" is empty.
//
// # Rendering and safety
//
// Render writes an HTML fragment. Raw HTML, block and inline, is dropped
// unless Config.Unsafe, so an article cannot inject script or event
// handlers ("<img src=x onerror=…>" disappears). Link, image and autolink
// destinations pass through the caller's resolver and then a filter that
// turns javascript:, vbscript:, file: and data: URLs into "#" (data: images
// in PNG, GIF, JPEG or WebP excepted), however they are spelt: mixed case,
// leading spaces, embedded tabs or newlines, character references.
//
// # Limits
//
// Parsing and rendering are linear: a 1 MB line, 10,000 nested list
// markers on one line or a 100,000-row table each take well under a
// second (see TestLongInputs and internal/article's
// TestPathologicalInputs). goldmark v1.8.7 alone is quadratic on hostile
// input: unclosed link destinations ("[a](" repeated: 20 s for 200 KB),
// nested brackets, emphasis delimiters that never pair ("*_a" repeated:
// 100 s for 300 KB) and deep container nesting on one line. Parse bounds
// each (limits.go): at most 128 nested containers, and 256 link openers
// and 256 delimiter runs per paragraph, heading or table cell; past a limit
// the rest is text. Parse and Render never panic: should goldmark, Parse
// returns the body as plain text and Render reports an error.
package markdown

// Heading is a heading of the document, with its position in the file.
type Heading struct {
	Level int    // 1–6
	Text  string // plain text of the heading
	ID    string // anchor: derived from Text only, unique within the Doc ("-2", "-3" suffixes)
	Line  int    // 1-based line in the file (the body's line offset applied)
	Col   int    // 1-based column, in characters, of the first character of the "#" marker
	Empty bool   // no block between this heading and the next heading of level <= Level
	Body  string // plain text of the blocks up to the next heading of level <= Level
}

// Link is a link or image destination as written by the author.
type Link struct {
	Dest  string // destination as written, escapes and character references decoded; not resolved, not percent-encoded
	Text  string // plain text of the link
	Image bool   // an image rather than a link
	Line  int    // 1-based line in the file of the link's text start (best effort: the line of the enclosing block when goldmark gives no inline position)
	Col   int    // 1-based column in characters
	In    int    // index into Doc.Headings of the heading the link is under, -1 before any heading
}
