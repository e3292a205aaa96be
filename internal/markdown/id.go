package markdown

import (
	"strconv"
	"strings"
	"unicode"
)

// slug derives a heading ID from the heading's plain text alone:
//
//   - letters, digits and combining marks are kept, Japanese and other
//     scripts as they are; letters are lower-cased;
//   - full-width ASCII (Ｗｉｎｄｏｗｓ, １０) is folded to ASCII first, so the
//     ID does not depend on the input method the author used;
//   - every run of anything else (spaces, ASCII and full-width punctuation
//     such as （）、。, symbols, emoji) becomes one "-";
//   - format characters (zero-width space, joiners) are ignored;
//   - leading and trailing "-" are dropped, and an empty result is
//     "section".
//
// So "よくある原因（優先度順）" is "よくある原因-優先度順" and
// "詳細手順（Windows 10/11）" is "詳細手順-windows-10-11". Browsers match
// such IDs against percent-encoded fragments, so links to them work.
func slug(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	dash := false // a separator is pending: written before the next kept rune
	for _, r := range text {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsMark(r):
			// A mark belongs to the character before it (a dakuten, a
			// vowel sign); after a separator it is a variation selector
			// on a symbol (⚠️) and goes with the symbol.
			if !dash && b.Len() > 0 {
				b.WriteRune(r)
			}
		case unicode.Is(unicode.Cf, r):
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return "section"
	}
	return b.String()
}

// idSet hands out IDs unique within one document.
type idSet struct {
	used map[string]bool
	next map[string]int // the next suffix to try for a base, so n equal headings cost O(n)
}

func newIDSet(reserved map[string]bool) idSet {
	s := idSet{used: make(map[string]bool, len(reserved)+16), next: make(map[string]int)}
	for id := range reserved {
		s.used[id] = true
	}
	return s
}

// unique returns base if it is unused, else base-2, base-3… (the first
// unused), and marks the result used. IDs therefore depend only on the
// heading texts up to and including this one.
func (s *idSet) unique(base string) string {
	id := base
	if s.used[id] {
		n := max(s.next[base], 2)
		for {
			id = base + "-" + strconv.Itoa(n)
			n++
			if !s.used[id] {
				break
			}
		}
		s.next[base] = n
	}
	s.used[id] = true
	return id
}
