package article_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/markdown"
)

const path = "content/ja/a.md"

// options returns the options a site with Japanese and English articles
// passes, the related-cases section recognised as the default schema does.
func options() article.Options {
	return article.Options{
		Markdown:  markdown.New(markdown.Config{}),
		Languages: []string{"ja", "en"},
		Related: func(lang, heading string) bool {
			return lang == "ja" && strings.HasPrefix(heading, "関連ケース") ||
				lang == "en" && strings.HasPrefix(heading, "Related cases")
		},
	}
}

// lines formats l as the text writer does, one diagnostic per line, sorted.
func lines(l diag.List) string {
	l.Sort()
	var b strings.Builder
	for _, d := range l {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

// good is a valid frontmatter; each bad case changes one or more of its lines.
// Line numbers: --- is 1, title 2, errorText 3, tags 4, updatedAt 5, lang 6,
// --- 7, the body's heading 9.
const good = `---
title: "KMS 0xC004F074"
errorText: "エラー 0xC004F074"
tags: ["Windows", "KMS"]
updatedAt: "2025-11-03T09:11:56.107Z"
lang: "ja"
---

## 要約
本文
`

// with returns good with line n (1-based) replaced by repl, which may hold
// several lines or none.
func with(n int, repl string) string {
	ls := strings.Split(good, "\n")
	if repl == "" {
		ls = slices.Delete(ls, n-1, n)
	} else {
		ls[n-1] = repl
	}
	return strings.Join(ls, "\n")
}

func TestParseDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // exact diagnostic lines
	}{
		{"valid", good, ""},
		{"missing frontmatter", "## 要約\n本文\n",
			"content/ja/a.md:1:1: error: missing frontmatter: the file must start with a --- line\n"},
		{"empty file", "",
			"content/ja/a.md:1:1: error: missing frontmatter: the file must start with a --- line\n"},
		{"toml frontmatter", "+++\ntitle = \"x\"\n+++\n",
			"content/ja/a.md:1:1: error: missing frontmatter: the file must start with a --- line\n"},
		{"unterminated frontmatter", "---\ntitle: \"x\"\nlang: ja\n\n## 要約\n本文\n",
			"content/ja/a.md:1:1: error: unterminated frontmatter: no closing --- line after the opening --- on line 1\n"},
		{"only an opening line", "---",
			"content/ja/a.md:1:1: error: unterminated frontmatter: no closing --- line after the opening --- on line 1\n"},
		{"blank lines before the frontmatter", "\n\n" + with(4, `tags: "KMS"`),
			"content/ja/a.md:6:7: error: tags: want a list of strings, got a string\n"},
		{"malformed yaml: bad indentation", with(3, "errorText: a\n  b: c"),
			"content/ja/a.md:4:1: error: invalid YAML in frontmatter: mapping values are not allowed in this context\n"},
		{"malformed yaml: unclosed list", with(4, `tags: ["Windows", "KMS"`),
			"content/ja/a.md:4:1: error: invalid YAML in frontmatter: did not find expected ',' or ']'\n"},
		{"malformed yaml: first line", with(2, `title: a: b`),
			"content/ja/a.md:2:1: error: invalid YAML in frontmatter: mapping values are not allowed in this context\n"},
		{"malformed yaml: tab indentation", with(3, "errorText: a\n\tb: c"),
			"content/ja/a.md:4:1: error: invalid YAML in frontmatter: found a tab character that violates indentation\n"},
		{"malformed yaml: unterminated quote", with(6, `lang: "ja`),
			"content/ja/a.md:7:1: error: invalid YAML in frontmatter: found unexpected end of stream\n"},
		{"not a mapping", "---\n- a\n- b\n---\n",
			"content/ja/a.md:2:1: error: frontmatter: want \"key: value\" lines, got a list\n"},
		{"empty frontmatter", "---\n---\n## 要約\n本文\n",
			"content/ja/a.md:1:1: error: missing required key \"lang\"\n" +
				"content/ja/a.md:1:1: error: missing required key \"title\"\n" +
				"content/ja/a.md:1:1: error: missing required key \"updatedAt\"\n" +
				"content/ja/a.md:1:1: warning: missing key \"errorText\": want the error message as users see it, for the page and for search\n"},
		{"tags as a string", with(4, `tags: "KMS"`),
			"content/ja/a.md:4:7: error: tags: want a list of strings, got a string\n"},
		{"tags item not a string", with(4, `tags: ["Windows", 2024]`),
			"content/ja/a.md:4:19: error: tags item 2: want a string, got a number (put the value in quotes)\n"},
		{"tags empty item", with(4, "tags:\n  - Windows\n  - \"\""),
			"content/ja/a.md:6:5: error: tags item 2: want a tag, got an empty string\n"},
		{"tags empty", with(4, "tags:"), ""},
		{"missing title", with(2, ""),
			"content/ja/a.md:1:1: error: missing required key \"title\"\n"},
		{"title not a string", with(2, "title: 0xC004F074"),
			"content/ja/a.md:2:8: error: title: want a string, got a number (put the value in quotes)\n"},
		{"title a list", with(2, "title: [a, b]"),
			"content/ja/a.md:2:8: error: title: want a string, got a list\n"},
		{"title empty", with(2, "title:"),
			"content/ja/a.md:2:1: error: title: want a string, got nothing\n"},
		{"title blank", with(2, `title: "  "`),
			"content/ja/a.md:2:8: error: title: want a value, got an empty string\n"},
		{"updatedAt not a date", with(5, `updatedAt: "yesterday"`),
			"content/ja/a.md:5:12: error: updatedAt: want an RFC 3339 date-time like \"2025-11-03T09:11:56Z\" or a date like \"2025-11-03\", got \"yesterday\"\n"},
		{"updatedAt with a space", with(5, `updatedAt: 2025-11-03 09:11:56`),
			"content/ja/a.md:5:12: error: updatedAt: want an RFC 3339 date-time like \"2025-11-03T09:11:56Z\" or a date like \"2025-11-03\", got \"2025-11-03 09:11:56\"\n"},
		{"updatedAt not a string", with(5, `updatedAt: 20251103`),
			"content/ja/a.md:5:12: error: updatedAt: want a string, got a number (put the value in quotes)\n"},
		{"updatedAt unquoted", with(5, `updatedAt: 2025-11-03T09:11:56Z`), ""},
		{"updatedAt date only", with(5, `updatedAt: 2025-11-03`), ""},
		{"missing updatedAt", with(5, ""),
			"content/ja/a.md:1:1: error: missing required key \"updatedAt\"\n"},
		{"unknown lang", with(6, `lang: "fr"`),
			"content/ja/a.md:6:7: error: lang: want one of \"ja\", \"en\", got \"fr\"\n"},
		{"missing lang", with(6, ""),
			"content/ja/a.md:1:1: error: missing required key \"lang\"\n"},
		{"missing errorText", with(3, ""),
			"content/ja/a.md:1:1: warning: missing key \"errorText\": want the error message as users see it, for the page and for search\n"},
		{"codes", with(4, `codes: [0xC004F074, "c004f074", -1073418124, ０ｘ８００７０００５]`), ""},
		{"codes bad item in a flow list", with(4, `codes: [0xC004F074, "bogus"]`),
			"content/ja/a.md:4:22: error: codes item 2: want an error code like \"0xC004F074\", got \"bogus\"\n"},
		{"codes bad item in a block list", with(4, "codes:\n  - 0x0000007B\n  - 1688\n  - [a]"),
			"content/ja/a.md:6:5: error: codes item 2: want an error code like \"0xC004F074\", got \"1688\"\n" +
				"content/ja/a.md:7:5: error: codes item 3: want an error code like \"0xC004F074\", got a list\n"},
		{"codes as a string", with(4, `codes: "0xC004F074"`),
			"content/ja/a.md:4:8: error: codes: want a list of error codes, got a string\n"},
		{"draft", with(4, "draft: true"), ""},
		{"draft not a boolean", with(4, `draft: "true"`),
			"content/ja/a.md:4:8: error: draft: want true or false, got a string\n"},
		{"unknown key", with(4, "author: me"),
			"content/ja/a.md:4:1: warning: unknown key \"author\": want one of title, errorText, tags, updatedAt, lang, codes, draft\n"},
		{"key in the wrong case", with(5, `updatedat: "2025-11-03"`),
			"content/ja/a.md:1:1: error: missing required key \"updatedAt\"\n" +
				"content/ja/a.md:5:1: warning: unknown key \"updatedat\": the key is \"updatedAt\" (keys are case-sensitive)\n"},
		{"duplicate key", with(6, "lang: ja\nlang: en"),
			"content/ja/a.md:7:1: error: duplicate key \"lang\" (first at line 6)\n"},
		{"every problem reported", "---\ntags: KMS\nupdatedAt: soon\nlang: fr\nauthor: me\n---\n## 要約\n本文\n",
			"content/ja/a.md:1:1: error: missing required key \"title\"\n" +
				"content/ja/a.md:1:1: warning: missing key \"errorText\": want the error message as users see it, for the page and for search\n" +
				"content/ja/a.md:2:7: error: tags: want a list of strings, got a string\n" +
				"content/ja/a.md:3:12: error: updatedAt: want an RFC 3339 date-time like \"2025-11-03T09:11:56Z\" or a date like \"2025-11-03\", got \"soon\"\n" +
				"content/ja/a.md:4:7: error: lang: want one of \"ja\", \"en\", got \"fr\"\n" +
				"content/ja/a.md:5:1: warning: unknown key \"author\": want one of title, errorText, tags, updatedAt, lang, codes, draft\n"},
		{"invalid UTF-8", with(2, "title: \"日本\xe3\x81\""),
			"content/ja/a.md:2:11: error: invalid UTF-8: byte 0xe3 is not part of a UTF-8 character; save the file as UTF-8\n"},
		{"invalid UTF-8 in the body", good + "\xff\n",
			"content/ja/a.md:11:1: error: invalid UTF-8: byte 0xff is not part of a UTF-8 character; save the file as UTF-8\n"},
		{"Shift_JIS", "---\ntitle: \"\x83\x65\x83\x58\x83\x67\"\n---\n",
			"content/ja/a.md:2:9: error: invalid UTF-8: byte 0x83 is not part of a UTF-8 character; save the file as UTF-8\n"},
		{"UTF-16", "\xff\xfe-\x00-\x00-\x00\n\x00",
			"content/ja/a.md:1:1: error: invalid UTF-8: the file starts with a UTF-16 byte order mark; save it as UTF-8\n"},
		{"BOM", "\uFEFF" + good, ""},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), ""},
		{"BOM and CRLF keep positions", "\uFEFF" + strings.ReplaceAll(with(4, `tags: "KMS"`), "\n", "\r\n"),
			"content/ja/a.md:4:7: error: tags: want a list of strings, got a string\n"},
		{"closing line with spaces", with(7, "---  "), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, l := article.Parse(path, []byte(tc.src), options())
			if got := lines(l); got != tc.want {
				t.Errorf("Parse(%q) diagnostics:\n%s\nwant:\n%s", tc.src, got, tc.want)
			}
		})
	}
}

func TestParseUnusable(t *testing.T) {
	for _, src := range []string{"", "## 要約\n", "---\ntitle: x\n", "---\n\xff\n---\n"} {
		if a, _ := article.Parse(path, []byte(src), options()); a != nil {
			t.Errorf("Parse(%q) = %+v, want nil", src, a)
		}
	}
	// A frontmatter with errors still gives an article, so the body can be checked.
	if a, _ := article.Parse(path, []byte(with(6, `lang: "fr"`)), options()); a == nil || len(a.Sections) != 1 {
		t.Errorf("Parse(bad lang) = %+v, want an article with one section", a)
	}
}

func TestParseFrontmatter(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want article.Frontmatter
	}{
		{"good", good, article.Frontmatter{
			Title:     "KMS 0xC004F074",
			ErrorText: "エラー 0xC004F074",
			Tags:      []string{"Windows", "KMS"},
			UpdatedAt: time.Date(2025, 11, 3, 9, 11, 56, 107e6, time.UTC),
			Lang:      "ja",
		}},
		{"date only is midnight UTC, codes canonical and distinct, draft", with(5,
			"updatedAt: 2025-11-03\ncodes: [c004f074, 0x0000007B, 3221549172]\ndraft: yes"), article.Frontmatter{
			Title:     "KMS 0xC004F074",
			ErrorText: "エラー 0xC004F074",
			Tags:      []string{"Windows", "KMS"},
			UpdatedAt: time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC),
			Lang:      "ja",
			Codes:     []errcode.Code{"0xC004F074", "0x0000007B"},
			Draft:     true,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, l := article.Parse(path, []byte(tc.src), options())
			if len(l) != 0 || a == nil {
				t.Fatalf("Parse(%q) = %v, %v; want no diagnostics", tc.src, a, l)
			}
			got := a.Frontmatter
			if got.Title != tc.want.Title || got.ErrorText != tc.want.ErrorText || !slices.Equal(got.Tags, tc.want.Tags) ||
				!got.UpdatedAt.Equal(tc.want.UpdatedAt) || got.Lang != tc.want.Lang ||
				!slices.Equal(got.Codes, tc.want.Codes) || got.Draft != tc.want.Draft {
				t.Errorf("Parse(%q).Frontmatter = %+v, want %+v", tc.src, got, tc.want)
			}
		})
	}
	a, _ := article.Parse(path, []byte(with(5, `updatedAt: "2025-11-03T18:11:56+09:00"`)), options())
	if _, off := a.UpdatedAt.Zone(); off != 9*3600 {
		t.Errorf("UpdatedAt offset = %d, want %d (kept as written)", off, 9*3600)
	}
}

func TestParseImported(t *testing.T) {
	src := "---\ntitle: \ndescription: Stop error 0x000000E3\nms.date: 12/03/2020\nms.topic: troubleshooting\n---\n# Stop error 0x000000E3\n\nText.\n"
	opts := article.Options{
		DefaultLang: "en",
		Imported:    true,
		Aliases:     map[string]string{"ms.date": "updatedAt", "description": "errorText"},
	}
	a, diags := article.Parse("content/x.md", []byte(src), opts)
	if diags.HasErrors() {
		t.Fatalf("Parse(imported) diagnostics: %v", diags)
	}
	want := "content/x.md:2:1: warning: title: empty; the first heading or the file name stands in"
	if len(diags) != 1 || diags[0].String() != want {
		t.Errorf("Parse(imported) diagnostics = %v, want [%s]", diags, want)
	}
	if a.Title != "Stop error 0x000000E3" || a.ErrorText != "Stop error 0x000000E3" || a.Lang != "en" {
		t.Errorf("Parse(imported) = title %q, errorText %q, lang %q", a.Title, a.ErrorText, a.Lang)
	}
	if got := a.UpdatedAt.Format("2006-01-02"); got != "2020-12-03" {
		t.Errorf("Parse(imported) updatedAt = %s, want 2020-12-03 (from ms.date)", got)
	}
	// Without the options the same file is an error.
	if _, diags := article.Parse("content/x.md", []byte(src), article.Options{}); !diags.HasErrors() {
		t.Errorf("Parse(imported file, no options) gave no error")
	}
}

func TestParseCodes(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []errcode.Code
	}{
		{"title, errorText, frontmatter, body, in that order", `---
title: "失敗 0x800F0922"
errorText: "エラー 0x80070005"
updatedAt: 2025-11-03
lang: ja
codes: [0xC004F074]
---
## 要約
0x8007000E と 0x80070005 と 0xC004F074
`, []errcode.Code{"0x800F0922", "0x80070005", "0xC004F074", "0x8007000E"}},
		{"related cases do not count", `---
title: "失敗"
updatedAt: 2025-11-03
lang: ja
---
## 要約
0x8007000E の場合
## 関連ケース
- 0x80070005 のケース
- 0x8007000E のケース
## 参考
`, []errcode.Code{"0x8007000E"}},
		{"a code in the body and under related cases counts", `---
title: "失敗"
updatedAt: 2025-11-03
lang: en
---
## Related cases
- 0x80070005
## References
see 0x80070005
`, []errcode.Code{"0x80070005"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := article.Parse(path, []byte(tc.src), options())
			if a == nil || !slices.Equal(a.Codes, tc.want) {
				t.Errorf("Parse(%q).Codes = %v, want %v", tc.src, codes(a), tc.want)
			}
		})
	}
}

func codes(a *article.Article) []errcode.Code {
	if a == nil {
		return nil
	}
	return a.Codes
}

func TestParseSeed(t *testing.T) {
	name := "seed-0xC004F074.md"
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, src []byte) {
		a, l := article.Parse("content/ja/"+name, src, options())
		if len(l) != 0 {
			t.Fatalf("Parse(%s) diagnostics:\n%s\nwant none", name, lines(l))
		}
		if want := []errcode.Code{"0xC004F074"}; !slices.Equal(a.Codes, want) {
			t.Errorf("Parse(%s).Codes = %v, want %v", name, a.Codes, want)
		}
		if a.BodyLine != 8 || a.EndLine != 157 {
			t.Errorf("Parse(%s) BodyLine, EndLine = %d, %d, want 8, 157", name, a.BodyLine, a.EndLine)
		}
		var got []string
		for _, s := range a.Sections {
			got = append(got, s.Pos.String()+" "+s.Heading)
		}
		want := []string{
			"content/ja/seed-0xC004F074.md:9:1 要約",
			"content/ja/seed-0xC004F074.md:17:1 よくある原因（優先度順）",
			"content/ja/seed-0xC004F074.md:24:1 60秒で確認（最短手順）",
			"content/ja/seed-0xC004F074.md:59:1 5分で解決（実務フロー）",
			"content/ja/seed-0xC004F074.md:81:1 根本対策（恒久策）",
			"content/ja/seed-0xC004F074.md:88:1 詳細手順（Windows 10/11）",
			"content/ja/seed-0xC004F074.md:135:1 よくある落とし穴（やってはいけない）",
			"content/ja/seed-0xC004F074.md:140:1 再発防止チェックリスト",
			"content/ja/seed-0xC004F074.md:146:1 関連ケース",
			"content/ja/seed-0xC004F074.md:151:1 参考（一次情報）",
		}
		if !slices.Equal(got, want) {
			t.Errorf("Parse(%s).Sections =\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, s := range a.Sections {
			if s.Empty || s.Text == "" || s.ID == "" {
				t.Errorf("Parse(%s) section %q: Empty=%v Text=%q ID=%q, want text and an ID", name, s.Heading, s.Empty, s.Text, s.ID)
			}
		}
		if a.Title != "Windows のライセンス認証に失敗 0xC004F074" || a.Lang != "ja" || len(a.Tags) != 3 {
			t.Errorf("Parse(%s).Frontmatter = %+v", name, a.Frontmatter)
		}
	}
	t.Run("as is", func(t *testing.T) { check(t, src) })
	t.Run("BOM and CRLF", func(t *testing.T) {
		check(t, append([]byte("\uFEFF"), strings.ReplaceAll(string(src), "\n", "\r\n")...))
	})
}

func TestParseDefaultLang(t *testing.T) {
	opts := options()
	opts.DefaultLang = "en"
	src := with(6, "")
	a, l := article.Parse(path, []byte(src), opts)
	if len(l) != 0 || a == nil || a.Lang != "en" {
		t.Errorf("Parse(%q) with DefaultLang %q = %v, %v; want lang %q and no diagnostics", src, opts.DefaultLang, a, l, "en")
	}
	src = with(6, `lang: "ja"`)
	if a, _ := article.Parse(path, []byte(src), opts); a == nil || a.Lang != "ja" {
		t.Errorf("Parse(%q) with DefaultLang %q: lang = %q, want %q", src, opts.DefaultLang, a.Lang, "ja")
	}
}
