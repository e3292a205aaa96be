package search

import (
	"html"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kbgen/kbgen/internal/errcode"
)

// Snippet geometry, in runes.
const (
	snippetRunes  = 120 // length of a snippet
	snippetBefore = 30  // context kept before the first match
)

// highlighter marks a query's terms in text. search.js has the same
// algorithm (snippet), so the terminal and the browser show the same
// snippets.
type highlighter struct {
	needles []string        // folded strings to mark
	codes   map[string]bool // canonical codes, or prefixes, to mark
	prefix  []string        // code prefixes
}

// newHighlighter collects what to mark: the needles textGroups returned,
// and the query's codes, which are found in the text with errcode.Find so
// that any spelling of them is marked.
func newHighlighter(p plan, needles []string) *highlighter {
	h := &highlighter{needles: needles, codes: make(map[string]bool)}
	for _, c := range p.codes {
		if c.prefix {
			h.prefix = append(h.prefix, c.code)
		} else {
			h.codes[c.code] = true
		}
	}
	return h
}

// marks returns the rune ranges [start, end) of s to mark, merged.
//
// Matching runs on s folded rune by rune (NFKC and lower case of each rune
// on its own), which keeps a one-to-one map between the runes of the
// folded and the original text; whole-string NFKC could merge runes.
func (h *highlighter) marks(s string) [][2]int {
	rs := []rune(s)
	folded := make([]string, len(rs))
	for i, r := range rs {
		folded[i] = fold(string(r))
	}
	var ms [][2]int
	for _, n := range h.needles {
		nr := []rune(n)
		for i := range rs {
			if j, ok := matchAt(folded, i, nr); ok {
				ms = append(ms, [2]int{i, j})
			}
		}
	}
	for _, m := range errcode.Find(s) {
		if h.codes[string(m.Code)] || h.hasPrefix(string(m.Code)) {
			a := utf8.RuneCountInString(s[:m.Start])
			ms = append(ms, [2]int{a, a + utf8.RuneCountInString(s[m.Start:m.End])})
		}
	}
	return mergeRanges(ms)
}

func (h *highlighter) hasPrefix(code string) bool {
	for _, p := range h.prefix {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

// matchAt reports whether the folded runes starting at rune i spell
// needle, and where the match ends.
func matchAt(folded []string, i int, needle []rune) (int, bool) {
	k := 0
	for j := i; j < len(folded); j++ {
		for _, r := range folded[j] {
			if k == len(needle) || needle[k] != r {
				return 0, false
			}
			k++
		}
		if k == len(needle) {
			return j + 1, true
		}
	}
	return 0, false
}

func mergeRanges(ms [][2]int) [][2]int {
	if len(ms) == 0 {
		return nil
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i][0] != ms[j][0] {
			return ms[i][0] < ms[j][0]
		}
		return ms[i][1] > ms[j][1]
	})
	out := [][2]int{ms[0]}
	for _, m := range ms[1:] {
		last := &out[len(out)-1]
		if m[0] <= last[1] {
			if m[1] > last[1] {
				last[1] = m[1]
			}
			continue
		}
		out = append(out, m)
	}
	return out
}

// snippet returns an HTML snippet: from the first of the sources with a
// match, a window of snippetRunes around its first match with every
// match marked; if none matches, the start of the first non-empty source.
func (h *highlighter) snippet(sources ...string) string {
	for _, s := range sources {
		if ms := h.marks(s); len(ms) > 0 {
			return window(s, ms)
		}
	}
	for _, s := range sources {
		if s != "" {
			return window(s, nil)
		}
	}
	return ""
}

// window cuts rune-range marks ms of s to a snippet and renders it.
func window(s string, ms [][2]int) string {
	rs := []rune(s)
	start := 0
	if len(ms) > 0 && ms[0][0] > snippetBefore {
		start = ms[0][0] - snippetBefore
	}
	end := start + snippetRunes
	if end > len(rs) {
		end = len(rs)
		if start = end - snippetRunes; start < 0 {
			start = 0
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	at := start
	for _, m := range ms {
		a, z := max(m[0], start), min(m[1], end)
		if a >= z {
			continue
		}
		b.WriteString(html.EscapeString(string(rs[at:a])))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(string(rs[a:z])))
		b.WriteString("</mark>")
		at = z
	}
	b.WriteString(html.EscapeString(string(rs[at:end])))
	if end < len(rs) {
		b.WriteString("…")
	}
	return b.String()
}
