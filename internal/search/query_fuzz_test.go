package search

import (
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kbgen/kbgen/internal/errcode"
)

// FuzzQuery runs arbitrary query text, language and tag through the query
// parser and a small index (smallDocs, which includes an article with
// hostile markup) and checks that nothing panics or errs and that:
//
//   - the plan is consistent: every piece is a code or non-empty text, the
//     pieces refer to the codes in order, each once, a whole code is
//     canonical;
//   - the text groups stay within maxGroups and hold no empty term;
//   - a search returns known documents only, within the limit, in well
//     under a second;
//   - every snippet is escaped text with <mark> and </mark> as its only
//     markup, so search results cannot carry script into a page.
//
// The seeds are in testdata/fuzz/FuzzQuery; run it with
//
//	go test ./internal/search -run '^$' -fuzz FuzzQuery -fuzztime 10s
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"", " ", "0xC004F074", "c004f074", "０ｘＣ００４Ｆ０７４", "-1073418124", "3221549172",
		"0xC004F", "0x", "エラー0xC004F074が表示", "ライセンス認証に失敗", "ﾗｲｾﾝｽ", "activat",
		"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "&amp;&lt;", "' OR 1=1 --",
		"+title:x -y", "a* ?b ~c^2", "/regex.*/", "\x00\xff", strings.Repeat("認証 ", 40),
		strings.Repeat("0xC004F074 ", 30), "kms01.example.local", "10.0.19045", "\u200b\ufeff",
	} {
		f.Add(s, "", "")
	}
	f.Add("activation", "en", "Windows")
	f.Add("認証", "ja", "KMS")
	f.Add("x", "<b>", "\"")
	ix := buildSmall(f)
	known := make(map[string]bool)
	for _, d := range smallDocs() {
		known[d.ID] = true
	}
	f.Fuzz(func(t *testing.T, text, lang, tag string) {
		p := parseQuery(text)
		next := 0 // pieces refer to the codes in order, each once
		for i, pc := range p.pieces {
			switch {
			case pc.code >= 0 && pc.code != next:
				t.Fatalf("parseQuery(%q): piece %d refers to code %d, want %d", text, i, pc.code, next)
			case pc.code >= 0:
				next++
			case pc.text == "":
				t.Fatalf("parseQuery(%q): piece %d is empty text", text, i)
			}
		}
		if next != len(p.codes) {
			t.Fatalf("parseQuery(%q): pieces refer to %d codes of %d", text, next, len(p.codes))
		}
		for _, c := range p.codes {
			if c.raw == "" {
				t.Fatalf("parseQuery(%q): code %q with empty raw text", text, c.code)
			}
			if !c.prefix {
				if got, ok := errcode.Parse(c.code); !ok || string(got) != c.code {
					t.Fatalf("parseQuery(%q): code %q is not canonical (Parse = %q, %v)", text, c.code, got, ok)
				}
			}
		}
		unmatched := make([]bool, len(p.codes))
		for i := range unmatched {
			unmatched[i] = true
		}
		gs, _ := p.textGroups(unmatched, ix.split)
		if len(gs) > maxGroups {
			t.Fatalf("parseQuery(%q): %d text groups, want at most %d", text, len(gs), maxGroups)
		}
		for _, g := range gs {
			for _, term := range g.terms {
				if term == "" {
					t.Fatalf("parseQuery(%q): group %q has an empty term", text, g.terms)
				}
			}
		}

		q := Query{Text: text, Lang: lang, Limit: 5}
		if tag != "" {
			q.Tags = []string{tag}
		}
		start := time.Now()
		hits, err := ix.Search(q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Search(%+v) took %v, want well under a second", q, d)
		}
		if len(hits) > q.Limit {
			t.Errorf("Search(%+v) = %d hits, want at most %d", q, len(hits), q.Limit)
		}
		for _, h := range hits {
			if !known[h.ID] {
				t.Errorf("Search(%+v): hit %q is no document", q, h.ID)
			}
			plain := strings.ReplaceAll(strings.ReplaceAll(h.Snippet, "<mark>", ""), "</mark>", "")
			if strings.ContainsAny(plain, `<>"'`) || html.EscapeString(html.UnescapeString(plain)) != plain {
				t.Errorf("Search(%+v): snippet %q is not escaped text with <mark>s", q, h.Snippet)
			}
			if utf8.ValidString(text) && !utf8.ValidString(h.Snippet) {
				t.Errorf("Search(%+v): snippet %q is not valid UTF-8", q, h.Snippet)
			}
		}
	})
}
