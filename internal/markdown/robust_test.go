package markdown

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kbgen/kbgen/internal/highlight"
)

// TestLongInputs parses and renders inputs far beyond any article, each
// within a budget loose enough for a loaded two-core CI machine: on a
// developer machine each takes well under a second, and a budget overrun
// means something went quadratic.
func TestLongInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("long inputs skipped in -short mode")
	}
	if raceEnabled {
		t.Skip("timing budgets do not apply under the race detector")
	}
	const budget = 10 * time.Second
	table := func(rows int) string {
		var b strings.Builder
		b.WriteString("| n | code | link |\n|---|:---:|---|\n")
		for i := range rows {
			fmt.Fprintf(&b, "| %d | `0xC004F%03X` | [x](a%d.md) |\n", i, i%4096, i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
	}{
		{"1 MB line of words", strings.Repeat("word ", 200_000)},
		{"1 MB line of Japanese", strings.Repeat("ライセンス認証に失敗、", 35_000)},
		{"1 MB line of links", strings.Repeat("[a](b.md) ", 100_000)},
		{"1 MB line of autolinks", strings.Repeat("www.example.com ", 65_000)},
		{"1 MB line of emphasis", strings.Repeat("*a _b ", 170_000)},
		// goldmark is quadratic on long runs of nested brackets (see the
		// package documentation), so this one is kept to 100 KB.
		{"100 KB line of brackets", strings.Repeat("[", 50_000) + strings.Repeat("]", 50_000)},
		{"1 MB line of entities", strings.Repeat("&amp;&#106;\\*", 80_000)},
		{"1 MB heading", "# " + strings.Repeat("見出し ", 120_000)},
		{"10,000 nested list levels", strings.Repeat("- ", 10_000) + "x\n"},
		{"10,000 nested block quotes", strings.Repeat("> ", 10_000) + "x\n"},
		{"10,000 nested emphasis", strings.Repeat("*", 10_000) + "x" + strings.Repeat("*", 10_000)},
		{"100,000-line table", table(100_000)},
		{"100,000 list items", strings.Repeat("- item [l](x.md)\n", 100_000)},
		{"100,000 equal headings", strings.Repeat("## 手順\n", 100_000)},
		{"100,000-line code block", "```cmd\n" + strings.Repeat("echo %TEMP% & whoami /priv\n", 100_000) + "```\n"},
		{"unclosed fence", "```\n" + strings.Repeat("a\n", 200_000)},
	}
	m := New(Config{Highlighter: highlight.New()})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			d := m.Parse([]byte(tc.src), 1)
			parsed := time.Since(start)
			if err := d.Render(io.Discard, testResolve); err != nil {
				t.Fatalf("Render error: %v", err)
			}
			total := time.Since(start)
			t.Logf("%d bytes: parse %v, parse+render %v", len(tc.src), parsed.Round(time.Millisecond), total.Round(time.Millisecond))
			if total > budget {
				t.Errorf("parse+render of %d bytes took %v, want < %v", len(tc.src), total, budget)
			}
		})
	}
}

// tagRE finds the tags in rendered HTML; badTagRE matches a dangerous one:
// an element that runs or embeds code, an event handler, or a script or
// data URL in an attribute a browser loads or follows. Only those
// attributes: an image's alt text may well read "data:image/svg" (a fuzzer
// wrote ![dAtA:imAge/svg]()), and is text.
var (
	tagRE    = regexp.MustCompile(`<[a-z!?/][^>]*>?`)
	badTagRE = regexp.MustCompile(`^<(script|iframe|object|embed|style|svg|math|!--|\?)|\son[a-z]+=|\s(href|src|srcset|action|formaction|poster|cite|background|xlink:href)="\s*(javascript:|vbscript:|file:|data:text|data:image/svg)`)
)

// TestBadTagRE checks FuzzParse's oracle: lowercased tags it must flag,
// and harmless ones it must not.
func TestBadTagRE(t *testing.T) {
	for tag, bad := range map[string]bool{
		`<a href="javascript:alert(1)">`:              true,
		`<a href=" vbscript:x">`:                      true,
		`<img src="data:image/svg+xml,<svg>" alt="">`: true,
		`<img src="x" onerror="alert(1)">`:            true,
		`<script>`:                                    true,
		`<img srcset="data:text/html,x">`:             true,
		`<img src="" alt="data:image/svg">`:           false,
		`<img src="a.png" alt="javascript:alert(1)">`: false,
		`<a href="https://example.com/javascript:x">`: false,
		`<a href="/ja/x/" title="data:text">`:         false,
	} {
		if got := badTagRE.MatchString(tag); got != bad {
			t.Errorf("badTagRE.MatchString(%q) = %v, want %v", tag, got, bad)
		}
	}
}

// FuzzParse checks Parse and Render on arbitrary input: no panic, no
// error, and the Doc's invariants hold.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		in, _, _ := strings.Cut(string(data), marker)
		f.Add(in, 1)
	}
	if seed, err := os.ReadFile(filepath.Join("testdata", "seed-0xC004F074.md")); err == nil {
		f.Add(string(seed), seedFirstLine)
	}
	for _, s := range []string{
		"", "#", "- - - - x", "> > > x", "[a](", "[a](<b", "![", "<", "`", "```", "~~~ x\n",
		"|a|\n|-|\n|b", "- [ ] \n- [x]", "a\\\n", "*a **b***", "日本語の\n**強調**", "[x]: y\n[x]",
		"<javascript:alert(1)>", "[x](JaVa\tScRiPt:1)", "<img src=x onerror=alert(1)>",
		"\x00\xff\xfe", "\r\n# a\r\n", "  # a", "Setext\n===", "www.a.b@c.d",
	} {
		f.Add(s, 1)
	}
	m := New(Config{Highlighter: highlight.New()})
	f.Fuzz(func(t *testing.T, src string, firstLine int) {
		firstLine = max(1, firstLine%1_000_000)
		d := m.Parse([]byte(src), firstLine)
		var b bytes.Buffer
		if err := d.Render(&b, func(dest string) string { return dest }); err != nil {
			t.Fatalf("Render error: %v", err)
		}
		lastLine := firstLine + strings.Count(src, "\n")
		seen := map[string]bool{}
		for _, h := range d.Headings {
			if seen[h.ID] {
				t.Errorf("duplicate heading ID %q", h.ID)
			}
			seen[h.ID] = true
			if h.ID == "" || strings.HasPrefix(h.ID, "-") || strings.HasSuffix(h.ID, "-") {
				t.Errorf("heading %q has ID %q: want non-empty, no leading or trailing -", h.Text, h.ID)
			}
			if h.Line < firstLine || h.Line > lastLine || h.Col < 1 {
				t.Errorf("heading %q at %d:%d, outside lines %d-%d", h.Text, h.Line, h.Col, firstLine, lastLine)
			}
		}
		for _, l := range d.Links {
			if l.Line < firstLine || l.Line > lastLine || l.Col < 1 || l.In < -1 || l.In >= len(d.Headings) {
				t.Errorf("link %+v out of range (lines %d-%d, %d headings)", l, firstLine, lastLine, len(d.Headings))
			}
		}
		if utf8.ValidString(src) && !utf8.ValidString(d.Text) {
			t.Errorf("Text is not valid UTF-8 for valid input")
		}
		// Text is escaped, so every "<" in the output opens a tag the
		// renderer wrote: check the tags.
		for _, tag := range tagRE.FindAllString(strings.ToLower(b.String()), -1) {
			if badTagRE.MatchString(tag) {
				t.Errorf("Render output has a dangerous tag %q:\n%s", tag, b.String())
			}
		}
	})
}
