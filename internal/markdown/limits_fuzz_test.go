package markdown

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestLimits checks where the structural limits of limits.go start: up to
// each limit markup renders as usual, past it the rest is text. The inputs
// that made them necessary are timed in internal/article's
// TestPathologicalInputs.
func TestLimits(t *testing.T) {
	m := New(Config{})
	render := func(src string) string {
		var b bytes.Buffer
		if err := m.Parse([]byte(src), 1).Render(&b, nil); err != nil {
			t.Fatalf("Render(%.40q…): %v", src, err)
		}
		return b.String()
	}
	links := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "[l%d](a%d.md) ", i, i)
		}
		return b.String()
	}
	tests := []struct {
		name       string
		src        string
		tag        string // counted in the output
		want       int
		wantSubstr string // also in the output
	}{
		{"links at the limit", links(maxLinkOpeners), "<a href=", maxLinkOpeners, ""},
		{"links past the limit", links(maxLinkOpeners + 10), "<a href=", maxLinkOpeners, "[l256](a256.md)"},
		{"links in separate paragraphs", strings.ReplaceAll(links(maxLinkOpeners+10), " ", "\n\n"), "<a href=", maxLinkOpeners + 10, ""},
		{"images past the limit", strings.Repeat("![i](x.png) ", maxLinkOpeners+1), "<img ", maxLinkOpeners, "![i](x.png)"},
		{"emphasis at the limit", strings.Repeat("*e* ", maxDelimiterRuns/2), "<em>", maxDelimiterRuns / 2, ""},
		{"emphasis past the limit", strings.Repeat("*e* ", maxDelimiterRuns/2+3), "<em>", maxDelimiterRuns / 2, "*e*"},
		{"strikethrough past the limit", strings.Repeat("~~s~~ ", maxDelimiterRuns/2+3), "<del>", maxDelimiterRuns / 2, "~~s~~"},
		{"block quotes at the limit", strings.Repeat("> ", maxNesting) + "x", "<blockquote>", maxNesting, ""},
		{"block quotes past the limit", strings.Repeat("> ", maxNesting+5) + "x", "<blockquote>", maxNesting, "&gt; &gt; x"},
		{"lists past the limit", strings.Repeat("- ", maxNesting) + "x", "<li>", maxNesting / 2, "- - x"},
		{"table cells have their own allowance", "|a|b|\n|-|-|\n|" + links(maxLinkOpeners) + "|" + links(maxLinkOpeners) + "|\n", "<a href=", 2 * maxLinkOpeners, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := render(tc.src)
			if got := strings.Count(out, tc.tag); got != tc.want {
				t.Errorf("Render(%.60q…) has %d %q, want %d", tc.src, got, tc.tag, tc.want)
			}
			if tc.wantSubstr != "" && !strings.Contains(out, tc.wantSubstr) {
				t.Errorf("Render(%.60q…) does not contain %q:\n%.400s", tc.src, tc.wantSubstr, out)
			}
		})
	}
}
