package search

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTruncateRunes compares truncateRunes, which stops at the n-th rune,
// with the obvious definition it replaced: collapse all white space, then
// cut. The stored excerpts and summaries, and so the export, depend on
// every byte.
func TestTruncateRunes(t *testing.T) {
	ref := func(s string, n int) string {
		s = strings.Join(strings.Fields(s), " ")
		i := 0
		for k := 0; k < n && i < len(s); k++ {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
		return s[:i]
	}
	for _, tc := range []struct {
		name string
		s    string
	}{
		{"empty", ""},
		{"spaces only", " \n\t "},
		{"short", "KMS"},
		{"collapsed", "  ライセンス認証に\n\n失敗しました  0xC004F074\t(KMS)  "},
		{"cut after a space", "abcd efgh"},
		{"cut before a space", "abcde fgh"},
		{"ideographic space", "認証\u3000失敗\u3000時刻"},
		{"invalid UTF-8", "ab\xffcd \xe3\x81 ef"},
		{"long", strings.Repeat("ライセンス認証 activation ", 40)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for n := 0; n <= utf8.RuneCountInString(tc.s)+2; n++ {
				if got, want := truncateRunes(tc.s, n), ref(tc.s, n); got != want {
					t.Errorf("truncateRunes(%q, %d) = %q, want %q", tc.s, n, got, want)
				}
			}
		})
	}
}
