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
// CSS writes the light style's rules scoped to .chroma, then the dark
// style's rules twice: inside @media (prefers-color-scheme: dark) under
// :root:not([data-theme=light]), and under :root[data-theme=dark], so a page
// follows the system setting unless the reader picked a theme. The rules are
// computed here from the chroma styles rather than taken from
// (*html.Formatter).WriteCSS: in chroma v2.27.0 WriteCSS scopes rules by mode
// (".chroma.dark") only with html.WithModeClasses, which would put the mode
// into every block's markup, and it leaves properties that the light style
// sets and the dark style does not (the light Error token's background, for
// one) to leak through the cascade into dark mode.
package highlight

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// Style names of the two themes. They are chroma's GitHub pair, chosen
// because their colours are designed to be read on their own backgrounds.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
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
	light     *chroma.Style
	dark      *chroma.Style

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

// New returns a Highlighter using chroma's GitHub light and dark styles.
func New() *Highlighter {
	return &Highlighter{
		// PreventSurroundingPre drops chroma's own <pre><code> and its
		// per-line <span class="line"><span class="cl"> wrappers; Block
		// writes the one wrapper kbgen's templates and CSS rely on.
		formatter: chromahtml.New(
			chromahtml.WithClasses(true),
			chromahtml.PreventSurroundingPre(true),
		),
		light:  styles.Get(lightStyle),
		dark:   styles.Get(darkStyle),
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
	return h.formatter.Format(b, h.light, it) == nil
}

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

// CSS writes the stylesheet for the classes Block emits: the light style as
// the default, the dark style when the system prefers dark and the page has
// not chosen light (:root:not([data-theme=light])), and when the page has
// chosen dark (:root[data-theme=dark]). The output is the same bytes on
// every call.
func (h *Highlighter) CSS(w io.Writer) error {
	light := styleRules(h.light)
	dark := overrideRules(light, styleRules(h.dark))

	var b bytes.Buffer
	fmt.Fprintf(&b, "/* Code highlighting: chroma styles %q (light) and %q (dark). Generated by kbgen. */\n", lightStyle, darkStyle)
	writeRules(&b, "", ".chroma", light)
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	writeRules(&b, "  ", ":root:not([data-theme=light]) .chroma", dark)
	b.WriteString("}\n")
	writeRules(&b, "", ":root[data-theme=dark] .chroma", dark)
	_, err := w.Write(b.Bytes())
	return err
}

// A rule is one CSS rule: the declarations for the class of token type t,
// or for the .chroma wrapper itself when t is chroma.Background.
type rule struct {
	t     chroma.TokenType
	decls []decl
}

type decl struct{ prop, value string }

// styleRules computes style's rules in token-type order, the wrapper first.
//
// The wrapper always gets both a text colour and a background, so a style
// that sets only a background (GitHub light does) cannot end up showing the
// page's text colour on the style's background. Meta types (line numbers,
// highlighted lines, table layout) are left out because Block never emits
// them; so are Text and Whitespace, which need no colour of their own, and
// Error, because chroma marks as errors the characters its lexer did not
// expect, and a red box there reads as the author's mistake when it is the
// lexer's.
func styleRules(style *chroma.Style) []rule {
	bg := style.Get(chroma.Background)
	fg := bg.Colour
	if !fg.IsSet() {
		fg = chroma.MustParseColour("#000000")
		if style.Mode() == chroma.Dark {
			fg = chroma.MustParseColour("#ffffff")
		}
	}
	wrapper := rule{t: chroma.Background, decls: []decl{{"color", fg.String()}}}
	if bg.Background.IsSet() {
		wrapper.decls = append(wrapper.decls, decl{"background-color", bg.Background.String()})
	}
	rules := []rule{wrapper}
	for _, t := range tokenTypes() {
		if decls := entryDecls(style.Get(t).Sub(bg)); len(decls) > 0 {
			rules = append(rules, rule{t: t, decls: decls})
		}
	}
	return rules
}

// tokenTypes returns the token types that get a class of their own in
// Block's output, sorted.
func tokenTypes() []chroma.TokenType {
	types := make([]chroma.TokenType, 0, len(chroma.StandardTypes))
	for t, class := range chroma.StandardTypes {
		if t > 0 && class != "" && t != chroma.Whitespace {
			types = append(types, t)
		}
	}
	slices.Sort(types)
	return types
}

// entryDecls converts a style entry to declarations, as chroma's
// StyleEntryToCSS does.
func entryDecls(e chroma.StyleEntry) []decl {
	var d []decl
	if e.Colour.IsSet() {
		d = append(d, decl{"color", e.Colour.String()})
	}
	if e.Background.IsSet() {
		d = append(d, decl{"background-color", e.Background.String()})
	}
	if e.Bold == chroma.Yes {
		d = append(d, decl{"font-weight", "bold"})
	}
	if e.Italic == chroma.Yes {
		d = append(d, decl{"font-style", "italic"})
	}
	if e.Underline == chroma.Yes {
		d = append(d, decl{"text-decoration", "underline"})
	}
	return d
}

// resets are the values that undo a light-style declaration the dark style
// does not make.
var resets = map[string]string{
	"color":            "inherit",
	"background-color": "transparent",
	"font-weight":      "inherit",
	"font-style":       "inherit",
	"text-decoration":  "none",
}

// overrideRules returns the dark rules extended so that, applied on top of
// the light rules, they leave nothing of the light style. Both sets are in
// the page and the dark selectors are the more specific, so every property
// a light rule sets must be set again by the dark rule for the same class.
func overrideRules(light, dark []rule) []rule {
	out := make([]rule, 0, len(dark)+len(light))
	index := make(map[chroma.TokenType]int, len(dark))
	for _, r := range dark {
		index[r.t] = len(out)
		out = append(out, rule{t: r.t, decls: slices.Clone(r.decls)})
	}
	for _, l := range light {
		i, ok := index[l.t]
		if !ok {
			i = len(out)
			index[l.t] = i
			out = append(out, rule{t: l.t})
		}
		for _, d := range l.decls {
			if !slices.ContainsFunc(out[i].decls, func(x decl) bool { return x.prop == d.prop }) {
				out[i].decls = append(out[i].decls, decl{d.prop, resets[d.prop]})
			}
		}
	}
	slices.SortFunc(out, func(a, b rule) int { return int(a.t - b.t) })
	return out
}

// writeRules writes rules scoped to the selector scope, one line per
// distinct set of declarations: classes styled alike share a rule through
// :is(), which keeps the specificity of a single class and the stylesheet
// a few dozen lines long instead of a few hundred.
func writeRules(b *bytes.Buffer, indent, scope string, rules []rule) {
	type group struct {
		classes []string
		decls   string
	}
	var groups []*group
	byDecls := make(map[string]*group)
	for _, r := range rules {
		var d strings.Builder
		for i, x := range r.decls {
			if i > 0 {
				d.WriteString("; ")
			}
			d.WriteString(x.prop)
			d.WriteString(": ")
			d.WriteString(x.value)
		}
		class := ""
		if r.t != chroma.Background {
			class = "." + chroma.StandardTypes[r.t]
		}
		key := d.String()
		if class == "" {
			key = "\x00" + key // the wrapper rule stands alone
		}
		g := byDecls[key]
		if g == nil {
			g = &group{decls: d.String()}
			byDecls[key] = g
			groups = append(groups, g)
		}
		g.classes = append(g.classes, class)
	}
	for _, g := range groups {
		b.WriteString(indent)
		b.WriteString(scope)
		switch {
		case len(g.classes) == 1 && g.classes[0] == "":
		case len(g.classes) == 1:
			b.WriteString(" ")
			b.WriteString(g.classes[0])
		default:
			b.WriteString(" :is(")
			b.WriteString(strings.Join(g.classes, ", "))
			b.WriteString(")")
		}
		b.WriteString(" { ")
		b.WriteString(g.decls)
		b.WriteString(" }\n")
	}
}
