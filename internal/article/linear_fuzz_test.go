package article_test

// This file is the deterministic companion of FuzzParse: the fuzzer finds
// crashes on short inputs, but it never builds a 10 MB article, so the inputs
// that would expose quadratic behaviour are built here on purpose (issue 7,
// part 1).

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/highlight"
	"github.com/kbgen/kbgen/internal/markdown"
)

// TestPathologicalInputs parses and renders each pathological input at size
// n/2 and 2n, the way a site build does (article.Parse with a highlighting
// Markdown, then Doc.Render), and wants
//
//   - the 2n input done within a budget generous enough for a loaded
//     two-core CI machine (on a developer machine each takes about a second
//     or less), and
//   - the time ratio t(2n)/t(n/2) below 8: linear work grows four times,
//     quadratic work sixteen times. Each size is timed three times and the
//     fastest run counts, and a ratio over 8 is measured again (up to three
//     times), so a colleague's compile on the same machine does not fail
//     the test. Sizes only twice apart were not enough: on a loaded CI
//     machine a linear case (the unhighlighted 100,000-line code block,
//     20 ms and 72 ms) measured a ratio of 3.2-3.7 three times running,
//     against a limit of 3 that quadratic work (4) barely clears.
//
// It is slow (the inputs are megabytes), so it is skipped under -short.
func TestPathologicalInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("pathological inputs skipped in -short mode")
	}
	const (
		budget   = 30 * time.Second
		maxRatio = 8.0
	)
	seedBody := seedArticleBody(t)
	tests := []struct {
		name string
		n    int // the input is built at n/2 and 2n
		make func(n int) string
	}{
		{
			// The seed article's body repeated to n bytes: every construct
			// a real article has, at 10 MB for 2n.
			name: "10 MB article",
			n:    5 << 20,
			make: func(n int) string {
				var b strings.Builder
				b.WriteString(frontmatter("KMS 0xC004F074"))
				for b.Len() < n {
					b.WriteString(seedBody)
				}
				return b.String()
			},
		},
		{
			name: "100,000-line table",
			n:    50_000,
			make: func(n int) string {
				var b strings.Builder
				b.WriteString(frontmatter("table"))
				b.WriteString("## 要約\n\n| n | code | link |\n|---|:---:|---|\n")
				for i := range n {
					fmt.Fprintf(&b, "| %d | `0xC004F%03X` | [x](a%d.md) |\n", i, i%4096, i)
				}
				return b.String()
			},
		},
		{
			name: "10,000 nested list levels",
			n:    5_000,
			make: func(n int) string {
				return frontmatter("lists") + "## 要約\n" + strings.Repeat("- ", n) + "x 0xC004F074\n"
			},
		},
		{
			// Nesting written one level per line, as an editor indents
			// it, 200 levels deep and back, over and over.
			name: "100,000 lines nested 200 deep",
			n:    50_000,
			make: func(n int) string {
				var b strings.Builder
				b.WriteString(frontmatter("indented lists") + "## 要約\n")
				for i := range n {
					b.WriteString(strings.Repeat("  ", i%200))
					b.WriteString("- x\n")
				}
				return b.String()
			},
		},
		{
			name: "1 MB line of list markers",
			n:    512 << 10,
			make: func(n int) string {
				return frontmatter("markers") + "## 要約\n" + repeatTo("- ", n) + "x\n"
			},
		},
		{
			name: "10,000 nested block quotes",
			n:    5_000,
			make: func(n int) string {
				return frontmatter("quotes") + "## 要約\n" + strings.Repeat("> ", n) + "x\n"
			},
		},
		{
			name: "1 MB line of text and codes",
			n:    512 << 10,
			make: func(n int) string {
				return frontmatter("line") + "## 要約\n" + repeatTo("エラー0xC004F074が表示 *a* `b` [c](d.md) ", n) + "\n"
			},
		},
		{
			name: "1 MB line of digits",
			n:    512 << 10,
			make: func(n int) string {
				// A run of hex digits: the error-code recogniser must not
				// restart its scan at every offset.
				return frontmatter("digits") + "## 要約\n" + repeatTo("0x0C004F0740", n) + "\n"
			},
		},
		{
			// goldmark scans a link destination to the next space from
			// every "](" (markdown/limits.go).
			name: "1 MB line of unclosed links",
			n:    512 << 10,
			make: func(n int) string {
				return frontmatter("links") + "## 要約\n" + repeatTo("[a](", n) + "\n"
			},
		},
		{
			name: "1 MB line of unclosed images",
			n:    512 << 10,
			make: func(n int) string {
				return frontmatter("images") + "## 要約\n" + repeatTo("![a](", n) + "\n"
			},
		},
		{
			name: "1 MB of nested brackets",
			n:    256 << 10,
			make: func(n int) string {
				return frontmatter("brackets") + "## 要約\n" + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
			},
		},
		{
			// Emphasis delimiters that never pair: each closer searched
			// back through all earlier ones (markdown/limits.go).
			name: "1 MB line of mixed delimiters",
			n:    512 << 10,
			make: func(n int) string {
				return frontmatter("delims") + "## 要約\n" + repeatTo("*_a~", n) + "\n"
			},
		},
		{
			name: "1 MB title",
			n:    512 << 10,
			make: func(n int) string {
				return frontmatter(repeatTo("認証 0xC004F074 ", n)) + "## 要約\nx\n"
			},
		},
		{
			name: "100,000 tags",
			n:    50_000,
			make: func(n int) string {
				var b strings.Builder
				b.WriteString("---\ntitle: \"tags\"\nlang: \"ja\"\nupdatedAt: \"2025-11-03T09:11:56.107Z\"\ntags:\n")
				for i := range n {
					fmt.Fprintf(&b, "  - tag%d\n", i)
				}
				b.WriteString("---\n\n## 要約\nx\n")
				return b.String()
			},
		},
		{
			name: "100,000-line code block",
			n:    50_000,
			make: func(n int) string {
				return frontmatter("code") + "## 要約\n```cmd\n" + strings.Repeat("echo %TEMP% & slmgr /ato 0xC004F074\n", n) + "```\n"
			},
		},
	}
	opts := options()
	opts.Markdown = markdown.New(markdown.Config{Highlighter: highlight.New()})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			small, large := []byte(tc.make(tc.n/2)), []byte(tc.make(2*tc.n))
			var ts, tl time.Duration
			var ratio float64
			// A noisy machine can make one measurement look quadratic;
			// quadratic work looks quadratic every time.
			for range 3 {
				ts = fastest(t, small, opts)
				tl = fastest(t, large, opts)
				ratio = float64(tl) / float64(max(ts, time.Millisecond))
				t.Logf("%d bytes: %v; %d bytes: %v; ratio %.2f", len(small), ts.Round(time.Millisecond), len(large), tl.Round(time.Millisecond), ratio)
				if ratio < maxRatio || tl > budget {
					break
				}
			}
			if tl > budget {
				t.Errorf("parse+render of %d bytes took %v, want < %v", len(large), tl, budget)
			}
			// Below 50 ms the ratio measures the timer and the scheduler,
			// not the algorithm.
			if tl > 50*time.Millisecond && ratio > maxRatio {
				t.Errorf("parse+render: %v for %d bytes, %v for %d bytes: ratio %.2f, want < %.1f (not linear)",
					ts, len(small), tl, len(large), ratio, maxRatio)
			}
		})
	}
}

// fastest returns the shortest of three timings, in CPU time (see
// cpuTime), of parsing and rendering src.
func fastest(t *testing.T, src []byte, opts article.Options) time.Duration {
	t.Helper()
	// The collector is off while timing: how often it runs depends on
	// where the heap's growth steps fall, which made the same linear input
	// measure anywhere from 20 to 45 ns a byte from one size to the next.
	// What this test looks for, work that grows faster than the input,
	// shows without it.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	best := time.Duration(1<<63 - 1)
	for range 3 {
		runtime.GC()
		start := cpuTime()
		a, l := article.Parse("content/ja/long.md", src, opts)
		if a == nil {
			t.Fatalf("Parse of %d bytes: nil article: %v", len(src), l)
		}
		if err := a.Doc.Render(io.Discard, nil); err != nil {
			t.Fatalf("Render of %d bytes: %v", len(src), err)
		}
		best = min(best, cpuTime()-start)
	}
	return best
}

func frontmatter(title string) string {
	return "---\ntitle: " + fmt.Sprintf("%q", title) + "\nerrorText: \"0xC004F074\"\ntags: [\"KMS\"]\nupdatedAt: \"2025-11-03T09:11:56.107Z\"\nlang: \"ja\"\n---\n\n"
}

// repeatTo repeats s until the result is at least n bytes.
func repeatTo(s string, n int) string {
	return strings.Repeat(s, (n+len(s)-1)/len(s))
}

// seedArticleBody returns the body (after the frontmatter) of the seed
// article in testdata.
func seedArticleBody(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "seed-0xC004F074.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i := strings.Index(s, "\n---\n")
	if !strings.HasPrefix(s, "---\n") || i < 0 {
		t.Fatalf("seed article has no frontmatter")
	}
	return s[i+len("\n---\n"):] + "\n"
}
