// Package highlight turns a code block and the language name its author
// wrote into class-based HTML, and writes the one stylesheet (light and dark)
// those classes need. It is the only package that imports chroma.
//
// # Output
//
// Every block, highlighted or not, has the same shape:
//
//	<pre class="chroma" data-lang="cmd"><code>…</code></pre>
//
// Inside <code> there are only <span class="…"> elements and escaped text:
// no inline styles, no line wrappers, no line numbers. The markup depends on
// the lexer alone, never on the colour scheme, so one page serves both
// themes and a theme change is a stylesheet change.
//
// # Languages
//
// The name is looked up case-insensitively, first in a small alias table for
// the spellings knowledge-base authors use for Windows troubleshooting (cmd,
// bat, ps1, pwsh, console, yml, reg, cfg…), then among chroma's lexer names
// and aliases. An empty or unknown name is not an error: the code is written
// as escaped plain text in the same wrapper, with data-lang as given.
// So is a block longer than 128 KiB: chroma's lexers run on a backtracking
// regular-expression engine at about 1 MB/s, so such a block (a log dump,
// not an example) would cost more build time than its colours are worth.
//
// # Determinism
//
// The same code and language give the same bytes, with one caveat that is
// chroma's: every lexer rule's regular expression has a 250 ms wall-clock
// match timeout, measured by a clock goroutine that ticks every 100 ms. On
// a machine so starved of CPU that the clock falls a quarter-second behind
// (seen only under the race detector with the machine's cores oversold), a
// rule can time out and the next rule take the token, changing a span's
// class. The text and the markup around it never change. A Highlighter
// keeps the blocks it has highlighted (see Highlighter.blocks) and writes a
// block it meets again from there; it keeps only runs that finished within
// the timeout, so this adds no other source of difference.
//
// # Stylesheet
//
// The stylesheet (chroma.css, which CSS writes) holds chroma's GitHub pair
// of styles, chosen because their colours are designed to be read on their
// own backgrounds: the light style's rules scoped to .chroma, then the dark
// style's rules twice, inside @media (prefers-color-scheme: dark) under
// :root:not([data-theme=light]), and under :root[data-theme=dark], so a page
// follows the system setting unless the reader picked a theme. The tests
// compute the rules from the chroma styles (css_test.go) rather than take
// them from (*html.Formatter).WriteCSS: in chroma v2.27.0 WriteCSS scopes
// rules by mode (".chroma.dark") only with html.WithModeClasses, which
// would put the mode into every block's markup, and it leaves properties
// that the light style sets and the dark style does not (the light Error
// token's background, for one) to leak through the cascade into dark mode.
package highlight

import (
	"bytes"
	_ "embed"
	"html"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
)

// maxHighlight is the longest code, in bytes, that Block highlights; see
// the package documentation. 128 KiB takes about 0.3 s in the slowest
// lexer measured (PowerShell).
const maxHighlight = 128 << 10

// aliases maps the language names authors write (lower-cased) to chroma
// lexer names, for names chroma does not know or knows as something else.
// "console" is documented shell output in this knowledge base, not a
// prompt-prefixed session, so it is highlighted as Bash. "reg" goes to
// chroma's Windows Registry lexer (not INI): KB articles use it for .reg
// exports, whose [HKEY_…] keys and "name"=dword: values it understands.
var aliases = map[string]string{
	"cmd":        "Batchfile",
	"bat":        "Batchfile",
	"batch":      "Batchfile",
	"batchfile":  "Batchfile",
	"dosbatch":   "Batchfile",
	"winbatch":   "Batchfile",
	"ps1":        "PowerShell",
	"psm1":       "PowerShell",
	"psd1":       "PowerShell",
	"powershell": "PowerShell",
	"pwsh":       "PowerShell",
	"posh":       "PowerShell",
	"sh":         "Bash",
	"bash":       "Bash",
	"shell":      "Bash",
	"console":    "Bash",
	"zsh":        "Bash",
	"json":       "JSON",
	"jsonc":      "JSON",
	"yaml":       "YAML",
	"yml":        "YAML",
	"sql":        "SQL",
	"ini":        "INI",
	"cfg":        "INI",
	"conf":       "INI",
	"reg":        "reg",
	"registry":   "reg",
	"xml":        "XML",
}

// Highlighter highlights code blocks. It is safe for concurrent use; build
// one per site build and share it, since lexer lookups are cached on it.
type Highlighter struct {
	formatter *chromahtml.Formatter

	// lexers caches lookups by lower-cased language name, misses included:
	// chroma's Get falls back to matching the name against every lexer's
	// filename globs, which is slow, and an article with many blocks in an
	// unknown language would pay it for each block. The key set is bounded
	// by the distinct info strings in the content.
	lexers sync.Map // string → lexerEntry

	// blocks holds the highlighted HTML of the blocks already lexed (what
	// goes inside <code>), by language key and code, up to blockBudget
	// bytes: the same snippet ("sfc /scannow", a registry export) recurs
	// across a knowledge base, and lexing costs about a microsecond a byte
	// (a sixth of the blocks of a generated 10,000-article site repeat an
	// earlier one). The dev server keeps its Highlighter across edits, so
	// there an edit re-lexes only the blocks it changed.
	mu         sync.RWMutex
	blocks     map[blockKey]string
	blockBytes int
}

type blockKey struct{ lang, code string }

// blockBudget is the most code and HTML, in bytes, that a Highlighter keeps
// in its block cache; blocks met after it is full are lexed every time.
const blockBudget = 64 << 20

type lexerEntry struct{ lexer chroma.Lexer } // lexer nil: plain text

// New returns a Highlighter.
func New() *Highlighter {
	return &Highlighter{
		// PreventSurroundingPre drops chroma's own <pre><code> and its
		// per-line <span class="line"><span class="cl"> wrappers; Block
		// writes the one wrapper kbgen's templates and CSS rely on.
		formatter: chromahtml.New(
			chromahtml.WithClasses(true),
			chromahtml.PreventSurroundingPre(true),
		),
		blocks: make(map[blockKey]string),
	}
}

// Block writes code as a highlighted HTML block for the language lang (see
// the package documentation for the output shape and name lookup). The only
// error it returns is w's: when the lexer fails, the block is written as
// plain text.
func (h *Highlighter) Block(w io.Writer, lang, code string) error {
	// The block is made in a buffer, so that a failed lexer run can be cut
	// back to plain text, and the buffer is pooled: a site has tens of
	// thousands of blocks.
	b := blockBuffers.Get().(*bytes.Buffer)
	defer blockBuffers.Put(b)
	b.Reset()
	b.Grow(len(code)*2 + 64)
	b.WriteString(`<pre class="chroma"`)
	if lang != "" {
		b.WriteString(` data-lang="`)
		b.WriteString(html.EscapeString(lang))
		b.WriteByte('"')
	}
	b.WriteString("><code>")
	head := b.Len()
	key := blockKey{langKey(lang), code}
	h.mu.RLock()
	cached, ok := h.blocks[key]
	h.mu.RUnlock()
	switch lexer := h.lexer(lang); {
	case ok:
		b.WriteString(cached)
	case lexer != nil && len(code) <= maxHighlight && h.formatInTime(b, lexer, code):
		h.remember(key, b.Bytes()[head:])
	default:
		// Plain text gets the same line endings chroma's tokeniser
		// produces, so a block looks the same with or without a lexer.
		b.Truncate(head)
		b.WriteString(html.EscapeString(strings.ReplaceAll(code, "\r\n", "\n")))
	}
	b.WriteString("</code></pre>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// blockBuffers holds the buffers Block makes blocks in.
var blockBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// lexerTimeout is the wall-clock limit chroma v2.27.0 puts on each match of
// each lexer rule (regexp.go: MatchTimeout = 250ms), which its API does not
// let us change. When it fires, chroma silently tries the next rule, so the
// same code can come out with different classes: on a loaded CI machine a
// build would not be byte-identical to the last.
const lexerTimeout = 250 * time.Millisecond

// formatInTime formats code as format does, but only trusts a run that took
// less than the lexer's timeout in all, since only then can no match have
// been cut short. A slow run is tried again; after three slow runs the block
// is left plain, which is the same on every machine however loaded.
func (h *Highlighter) formatInTime(b *bytes.Buffer, lexer chroma.Lexer, code string) bool {
	head := b.Len()
	for range 3 {
		start := time.Now()
		ok := h.format(b, lexer, code)
		if !ok || time.Since(start) < lexerTimeout {
			return ok
		}
		b.Truncate(head)
	}
	return false
}

// format writes code's highlighted tokens to b and reports whether it
// succeeded. Lexers are regular-expression state machines loaded from
// chroma's XML definitions; one that fails, or panics, on some input costs
// that block its colours, never the build.
func (h *Highlighter) format(b *bytes.Buffer, lexer chroma.Lexer, code string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	it, err := lexer.Tokenise(nil, code)
	if err != nil {
		return false
	}
	return h.formatter.Format(b, markupStyle, it) == nil
}

// markupStyle is the style the formatter is given. With classes and
// without mode classes, chroma's markup does not depend on the style (the
// stylesheet holds the colours), but its formatter needs one.
var markupStyle = chroma.MustNewStyle("kbgen", chroma.StyleEntries{})

// remember caches the highlighted HTML of the block key, while the cache
// is within blockBudget.
func (h *Highlighter) remember(key blockKey, highlighted []byte) {
	size := len(key.code) + len(highlighted)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.blocks[key]; ok || h.blockBytes+size > blockBudget {
		return
	}
	h.blocks[key] = string(highlighted)
	h.blockBytes += size
}

// langKey is the name lang is looked up by: lower-cased, trimmed.
func langKey(lang string) string { return strings.ToLower(strings.TrimSpace(lang)) }

// lexer returns the coalescing lexer for lang, or nil for plain text.
func (h *Highlighter) lexer(lang string) chroma.Lexer {
	key := langKey(lang)
	if key == "" {
		return nil
	}
	if e, ok := h.lexers.Load(key); ok {
		return e.(lexerEntry).lexer
	}
	name := key
	if alias, ok := aliases[key]; ok {
		name = alias
	}
	var e lexerEntry
	if l := lexers.Get(name); l != nil {
		// Coalesce merges runs of same-type tokens, so a line of plain
		// words is one span rather than one per word.
		e.lexer = chroma.Coalesce(l)
	}
	got, _ := h.lexers.LoadOrStore(key, e)
	return got.(lexerEntry).lexer
}

// stylesheet is the CSS for the classes Block emits (see the package
// documentation), computed from chroma's "github" and "github-dark" styles
// by TestCSSGolden, which fails when they change and writes the file again
// under go test -update. The tests compute it, not this package, because
// importing chroma's styles package parses all 77 of its styles before
// main starts, and kbgen uses two: 11-13 ms on every kbgen command, a
// one-article rebuild included (GODEBUG=inittrace=1).
//
//go:embed chroma.css
var stylesheet []byte

// CSS writes the stylesheet for the classes Block emits: the same bytes on
// every call.
func CSS(w io.Writer) error {
	_, err := w.Write(stylesheet)
	return err
}
