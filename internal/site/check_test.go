package site

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// enArticle is jaArticle in English.
func enArticle(title, date, related string) string {
	return strings.NewReplacer("要約", "Summary", "よくある原因", "Common causes", "60秒で確認", "Check in 60 seconds", "5分で解決", "Fix in 5 minutes",
		"根本対策", "Permanent fix", "詳細手順", "Detailed steps", "よくある落とし穴", "Pitfalls", "再発防止チェックリスト", "Prevention checklist",
		"関連ケース", "Related cases", "参考", "References", `lang: "ja"`, `lang: "en"`).Replace(jaArticle(title, date, related))
}

// checkNow is the clock of the Check tests.
var checkNow = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{
			name: "clean",
			files: fstest.MapFS{
				"content/ja/a.md": {Data: []byte(jaArticle("アクセス拒否 0x80070005", "2025-11-03T00:00:00Z", "なし"))},
				"content/ja/b.md": {Data: []byte(jaArticle("ライセンス認証 0xC004F074", "2025-11-03T00:00:00Z", "- [A 0x80070005](a.md)"))},
			},
		},
		{
			name: "duplicate primary code",
			files: fstest.MapFS{
				"content/ja/a.md": {Data: []byte(jaArticle("アクセス拒否 0x80070005", "2025-11-03T00:00:00Z", "なし"))},
				"content/ja/b.md": {Data: []byte(jaArticle("Windows Update で 0X80070005", "2025-11-03T00:00:00Z", "なし"))},
				"content/ja/c.md": {Data: []byte(jaArticle("別の 0xC004F074 と 0x80070005", "2025-11-03T00:00:00Z", "なし"))},
				// Linked to each other: known to be different cases.
				"content/ja/d.md": {Data: []byte(jaArticle("原因その1 0x800F0922", "2025-11-03T00:00:00Z", "- [その2](e.md#要約)"))},
				"content/ja/e.md": {Data: []byte(jaArticle("原因その2 0x800F0922", "2025-11-03T00:00:00Z", "なし"))},
				"content/en/a.md": {Data: []byte(enArticle("Access denied 0x80070005", "2025-11-03T00:00:00Z", "none"))},
			},
			want: []string{
				`content/ja/a.md:2:8: warning: probably a duplicate of "content/ja/b.md": same language and primary error code 0x80070005 (link them if they are different cases)`,
				`content/ja/b.md:2:8: warning: probably a duplicate of "content/ja/a.md": same language and primary error code 0x80070005 (link them if they are different cases)`,
			},
		},
		{
			name: "future",
			files: fstest.MapFS{
				"content/ja/future.md":   {Data: []byte(jaArticle("未来 0x80070005", "2099-01-01T00:00:00Z", "なし"))},
				"content/ja/tomorrow.md": {Data: []byte(jaArticle("明日 0xC004F074", "2025-12-01", "なし"))},
				"content/ja/local.md":    {Data: []byte(jaArticle("現地時刻 0x800F0922", "2025-12-01T08:59:00+09:00", "なし"))},
			},
			want: []string{
				`content/ja/future.md:5:12: warning: updatedAt 2099-01-01T00:00:00Z is in the future: want the time of the last edit`,
			},
		},
		{
			name: "no code",
			files: fstest.MapFS{
				"content/ja/a.md": {Data: []byte(jaArticle("プリンターが動かない", "2025-11-03T00:00:00Z", "- [B 0x80070005](b.md)"))},
				"content/ja/b.md": {Data: []byte(jaArticle("アクセス拒否 0x80070005", "2025-11-03T00:00:00Z", "なし"))},
			},
			want: []string{
				`content/ja/a.md:2:8: warning: article mentions no error code: want one in the title, errorText or codes`,
			},
		},
		{
			name: "placeholder without schema",
			files: fstest.MapFS{
				"kbgen.yaml":      {Data: []byte("schema:\n  off: true\n")},
				"content/ja/a.md": {Data: []byte("---\ntitle: \"A 0x80070005\"\nerrorText: \"A\"\nupdatedAt: 2025-11-03\nlang: ja\n---\n\n本文。\n\n  TODO(kbgen): write the article, then delete this line.\n")},
			},
			want: []string{
				`content/ja/a.md:10:3: warning: placeholder text "TODO(kbgen):" left from kbgen new: replace it with the article's text`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, diags := load(t, tc.files)
			if len(diags) > 0 {
				t.Fatalf("Load: unexpected diagnostics:\n%v", diags)
			}
			var got []string
			for _, d := range s.Check(checkNow) {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Check(%v):\n%s\nwant:\n%s", checkNow, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestScaffoldSlug(t *testing.T) {
	now := time.Date(2025, 11, 25, 12, 0, 0, 0, time.FixedZone("JST", 9*3600))
	tests := []struct {
		sc      Scaffold
		file    string
		wantErr string
	}{
		{Scaffold{Lang: "ja", Code: "0x80070005", Title: "Access denied 0x80070005"}, "content/ja/access-denied-0x80070005.md", ""},
		{Scaffold{Lang: "ja", Code: "80070005", Title: "アクセスが拒否されました"}, "content/ja/0x80070005.md", ""},
		{Scaffold{Code: "0x80070005", Title: "Windows Update でエラー ０ｘ８００７０００５ (E_ACCESSDENIED)"}, "content/ja/windows-update-e-accessdenied-0x80070005.md", ""},
		{Scaffold{Lang: "en", Code: "-1073418124", Title: "KMS activation fails"}, "content/en/kms-activation-fails-0xc004f074.md", ""},
		{Scaffold{Lang: "en", Title: "The printer spooler stops after every single update of the whole system"}, "content/en/the-printer-spooler-stops-after-every-single.md", ""},
		{Scaffold{Lang: "ja", Code: "0x80070005", Title: "アクセス拒否", Slug: "access-denied"}, "content/ja/access-denied.md", ""},
		{Scaffold{Lang: "ja", Title: "アクセス拒否"}, "", "the title has no ASCII words"},
		{Scaffold{Lang: "ja", Title: "x", Slug: "Access Denied"}, "", `slug "Access Denied"`},
		{Scaffold{Lang: "ja", Title: "x", Slug: "_draft"}, "", `slug "_draft"`},
		{Scaffold{Lang: "ja", Title: "x", Slug: "x.md"}, "", `slug "x.md"`},
		{Scaffold{Lang: "fr", Title: "x"}, "", `language "fr" is not one of the configured languages ("ja", "en")`},
		{Scaffold{Lang: "ja", Code: "0xZZZ", Title: "x"}, "", `"0xZZZ" is not an error code`},
		{Scaffold{Lang: "ja", Title: "  "}, "", "a title is required"},
		{Scaffold{Lang: "ja", Title: "a\nb"}, "", "one line"},
	}
	cfg := DefaultConfig()
	for _, tc := range tests {
		tc.sc.Now = now
		file, _, err := cfg.Scaffold(tc.sc)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Scaffold(%+v) error = %v, want one containing %q", tc.sc, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("Scaffold(%+v): %v", tc.sc, err)
		case file != tc.file:
			t.Errorf("Scaffold(%+v) = %q, want %q", tc.sc, file, tc.file)
		}
	}
}

// TestScaffoldChecks loads what Scaffold writes: it must have no errors and
// warn only about the placeholders, once per section, until they are
// replaced.
func TestScaffoldChecks(t *testing.T) {
	now := time.Date(2025, 11, 25, 21, 0, 0, 0, time.FixedZone("JST", 9*3600))
	for _, tc := range []struct {
		name, yaml, lang string
		placeholders     int
	}{
		{"ja", "", "ja", 10},
		{"en", "", "en", 10},
		{"schema off", "schema:\n  off: true\n", "ja", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"kbgen.yaml": {Data: []byte(tc.yaml)}}
			cfg, _ := LoadConfig(fsys)
			file, text, err := cfg.Scaffold(Scaffold{Lang: tc.lang, Code: "0x80070005", Title: `アクセス拒否 "Access is denied" \ 0x80070005`, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(text), `updatedAt: "2025-11-25T12:00:00Z"`) {
				t.Errorf("Scaffold text does not hold updatedAt = now in UTC:\n%s", text)
			}
			fsys[file] = &fstest.MapFile{Data: text}
			s, diags := load(t, fsys)
			diags = append(diags, s.Check(now)...)
			n := 0
			for _, d := range diags {
				if !strings.Contains(d.Msg, "placeholder") || d.Severity.String() != "warning" {
					t.Errorf("unexpected diagnostic: %v", d)
				}
				n++
			}
			if n != tc.placeholders {
				t.Errorf("%d placeholder warnings, want %d:\n%v", n, tc.placeholders, diags)
			}
			p := s.Page(file)
			if p == nil {
				t.Fatalf("no page for %s", file)
			}
			if p.Title != `アクセス拒否 "Access is denied" \ 0x80070005` || p.ErrorText != p.Title || p.Lang != tc.lang || len(p.Codes) == 0 || p.Codes[0] != "0x80070005" {
				t.Errorf("scaffolded frontmatter read back as %+v, codes %v", p.Frontmatter, p.Codes)
			}
		})
	}
}
