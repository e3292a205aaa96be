package schema_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/markdown"
	"github.com/kbgen/kbgen/internal/schema"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

const path = "content/ja/a.md"

var (
	ja = []string{"要約", "よくある原因", "60秒で確認", "5分で解決", "根本対策", "詳細手順",
		"よくある落とし穴", "再発防止チェックリスト", "関連ケース", "参考"}
	en = []string{"Summary", "Common causes", "Check in 60 seconds", "Fix in 5 minutes", "Permanent fix",
		"Detailed steps", "Pitfalls", "Prevention checklist", "Related cases", "References"}
)

// art returns an article in lang whose H2 headings are heads, the i-th at
// line 10*(i+1); a heading ending in "!" is empty (the "!" is dropped). The
// file ends at line 10*len(heads)+5.
func art(lang string, heads ...string) *article.Article {
	a := &article.Article{Path: path, Frontmatter: article.Frontmatter{Lang: lang}, EndLine: 10*len(heads) + 5}
	for i, h := range heads {
		s := article.Section{Heading: h, Pos: diag.Pos{File: path, Line: 10 * (i + 1), Col: 1}, Text: "text"}
		if strings.HasSuffix(h, "!") {
			s.Heading, s.Empty, s.Text = strings.TrimSuffix(h, "!"), true, ""
		}
		a.Sections = append(a.Sections, s)
	}
	return a
}

// without returns names with the named elements removed.
func without(names []string, drop ...string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(drop, n) {
			out = append(out, n)
		}
	}
	return out
}

// insert returns names with s inserted at index i.
func insert(names []string, i int, s string) []string {
	return slices.Insert(slices.Clone(names), i, s)
}

// replace returns names with element i replaced by s.
func replace(names []string, i int, s string) []string {
	out := slices.Clone(names)
	out[i] = s
	return out
}

// swap returns names with elements i and j exchanged.
func swap(names []string, i, j int) []string {
	out := slices.Clone(names)
	out[i], out[j] = out[j], out[i]
	return out
}

func lines(l diag.List) string {
	l.Sort()
	var b strings.Builder
	for _, d := range l {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	placeholder := art("ja", ja...)
	placeholder.Sections[2].Text = schema.Placeholder + " write this section"
	tests := []struct {
		name   string
		schema *schema.Schema
		a      *article.Article
		want   string
	}{
		{"complete ja", schema.Default(), art("ja", ja...), ""},
		{"complete en", schema.Default(), art("en", en...), ""},
		{"headings with suffixes and other case", schema.Default(), art("en",
			"Summary (one line)", "Common Causes", "Check in 60 seconds", "Fix in 5 minutes (workflow)", "Permanent fix",
			"Detailed steps (Windows 11)", "Pitfalls", "Prevention checklist", "Related cases", "References"), ""},
		{"missing section", schema.Default(), art("ja", without(ja, "根本対策")...),
			"content/ja/a.md:50:1: error: missing section \"根本対策\" (expected after \"5分で解決\")\n"},
		{"missing first section", schema.Default(), art("ja", ja[1:]...),
			"content/ja/a.md:10:1: error: missing section \"要約\" (expected first)\n"},
		{"missing last section at end of file", schema.Default(), art("ja", ja[:9]...),
			"content/ja/a.md:95:1: error: missing section \"参考\" (expected after \"関連ケース\")\n"},
		{"two missing in a row", schema.Default(), art("ja", without(ja, "根本対策", "詳細手順")...),
			"content/ja/a.md:50:1: error: missing section \"根本対策\" (expected after \"5分で解決\")\n" +
				"content/ja/a.md:50:1: error: missing section \"詳細手順\" (expected after \"根本対策\")\n"},
		{"no sections", schema.Default(), art("en"),
			"content/ja/a.md:5:1: error: missing section \"Check in 60 seconds\" (expected after \"Common causes\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Common causes\" (expected after \"Summary\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Detailed steps\" (expected after \"Permanent fix\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Fix in 5 minutes\" (expected after \"Check in 60 seconds\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Permanent fix\" (expected after \"Fix in 5 minutes\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Pitfalls\" (expected after \"Detailed steps\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Prevention checklist\" (expected after \"Pitfalls\")\n" +
				"content/ja/a.md:5:1: error: missing section \"References\" (expected after \"Related cases\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Related cases\" (expected after \"Prevention checklist\")\n" +
				"content/ja/a.md:5:1: error: missing section \"Summary\" (expected first)\n"},
		{"two sections swapped", schema.Default(), art("ja", swap(ja, 3, 4)...),
			"content/ja/a.md:40:1: error: section \"根本対策\" is out of order: expected after \"5分で解決\"\n"},
		{"first section moved to the end", schema.Default(), art("ja", insert(ja[1:], 9, ja[0])...),
			"content/ja/a.md:100:1: error: section \"要約\" is out of order: expected before \"よくある原因\"\n"},
		{"last section moved to the start", schema.Default(), art("ja", insert(ja[:9], 0, ja[9])...),
			"content/ja/a.md:10:1: error: section \"参考\" is out of order: expected after \"関連ケース\"\n"},
		{"section moved down", schema.Default(), art("ja", "要約", "60秒で確認", "5分で解決", "根本対策", "よくある原因",
			"詳細手順", "よくある落とし穴", "再発防止チェックリスト", "関連ケース", "参考"),
			"content/ja/a.md:50:1: error: section \"よくある原因\" is out of order: expected before \"60秒で確認\"\n"},
		{"duplicate section", schema.Default(), art("ja", insert(ja, 3, "要約（再掲）")...),
			"content/ja/a.md:40:1: error: duplicate section \"要約\" (first at line 10)\n"},
		{"empty section", schema.Default(), art("ja", replace(ja, 1, "よくある原因（優先度順）!")...),
			"content/ja/a.md:20:1: error: section \"よくある原因\" is empty\n"},
		{"unknown section", schema.Default(), art("en", insert(en, 5, "Notes")...),
			"content/ja/a.md:60:1: warning: unknown section \"Notes\"\n"},
		{"placeholder", schema.Default(), placeholder,
			"content/ja/a.md:30:1: warning: section \"60秒で確認\" still holds the placeholder text\n"},
		{"every problem reported", schema.Default(), art("ja", "よくある原因!", "要約", "Notes", "60秒で確認", "要約", "根本対策",
			"詳細手順", "よくある落とし穴", "再発防止チェックリスト", "関連ケース", "参考"),
			"content/ja/a.md:10:1: error: section \"よくある原因\" is empty\n" +
				"content/ja/a.md:10:1: error: section \"よくある原因\" is out of order: expected after \"要約\"\n" +
				"content/ja/a.md:30:1: warning: unknown section \"Notes\"\n" +
				"content/ja/a.md:50:1: error: duplicate section \"要約\" (first at line 20)\n" +
				"content/ja/a.md:60:1: error: missing section \"5分で解決\" (expected after \"60秒で確認\")\n"},
		{"schema off", &schema.Schema{Off: true, Sections: schema.Default().Sections}, art("ja", "Notes!"), ""},
		{"language not in the schema", schema.Default(), art("fr", "Notes!"), ""},
		{"no language", schema.Default(), art("", "Notes!"), ""},
		{"optional section missing", &schema.Schema{Sections: map[string][]schema.Section{
			"ja": {{Name: "要約"}, {Name: "補足", Optional: true}, {Name: "参考"}},
		}}, art("ja", "要約", "参考"), ""},
		{"optional section out of order", &schema.Schema{Sections: map[string][]schema.Section{
			"ja": {{Name: "要約"}, {Name: "補足", Optional: true}, {Name: "参考"}},
		}}, art("ja", "要約", "参考", "補足"),
			// A tie: moving either fixes it; the later one is kept.
			"content/ja/a.md:20:1: error: section \"参考\" is out of order: expected after \"補足\"\n"},
		{"longest name wins", &schema.Schema{Sections: map[string][]schema.Section{
			"en": {{Name: "Fix"}, {Name: "Fix in 5 minutes"}},
		}}, art("en", "Fix now", "Fix in 5 minutes (workflow)"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lines(tc.schema.Check(tc.a)); got != tc.want {
				t.Errorf("Check(%s) =\n%s\nwant:\n%s", headings(tc.a), got, tc.want)
			}
		})
	}
}

func headings(a *article.Article) string {
	var hs []string
	for _, s := range a.Sections {
		hs = append(hs, fmt.Sprintf("%d:%q", s.Pos.Line, s.Heading))
	}
	return a.Lang + " [" + strings.Join(hs, " ") + "]"
}

func TestCheckNil(t *testing.T) {
	var s *schema.Schema
	if l := s.Check(art("ja")); l != nil {
		t.Errorf("nil Schema.Check = %v, want nil", l)
	}
	if l := schema.Default().Check(nil); l != nil {
		t.Errorf("Check(nil) = %v, want nil", l)
	}
}

func TestRelated(t *testing.T) {
	s := schema.Default()
	off := &schema.Schema{Off: true, Sections: s.Sections}
	tests := []struct {
		lang, heading string
		want          bool
	}{
		{"ja", "関連ケース", true},
		{"ja", "関連ケース（他のエラー）", true},
		{"en", "Related cases", true},
		{"en", "related cases", true},
		{"ja", "Related cases", false},
		{"ja", "参考", false},
		{"fr", "関連ケース", false},
	}
	for _, tc := range tests {
		if got := s.Related(tc.lang, tc.heading); got != tc.want {
			t.Errorf("Related(%q, %q) = %v, want %v", tc.lang, tc.heading, got, tc.want)
		}
		if got := off.Related(tc.lang, tc.heading); got != tc.want {
			t.Errorf("Related(%q, %q) with schema off = %v, want %v", tc.lang, tc.heading, got, tc.want)
		}
	}
}

// TestSkeleton checks the skeleton against testdata/skeleton-<lang>.md, and
// that an article made of it has every section and only placeholder warnings.
func TestSkeleton(t *testing.T) {
	s := schema.Default()
	if got := s.Skeleton("fr"); got != "" {
		t.Errorf("Skeleton(%q) = %q, want \"\"", "fr", got)
	}
	for _, lang := range []string{"ja", "en"} {
		t.Run(lang, func(t *testing.T) {
			got := s.Skeleton(lang)
			golden := filepath.Join("testdata", "skeleton-"+lang+".md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o666); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", golden)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Skeleton(%q) =\n%s\nwant (%s; go test -update to rewrite):\n%s", lang, got, golden, want)
			}

			src := "---\ntitle: t\nerrorText: e\nupdatedAt: 2025-11-03\nlang: " + lang + "\n---\n\n" + got
			a, l := article.Parse(path, []byte(src), article.Options{Markdown: markdown.New(markdown.Config{}), Related: s.Related})
			l = append(l, s.Check(a)...)
			warnings := 0
			for _, d := range l {
				if d.Severity != diag.Warning || !strings.HasSuffix(d.Msg, "still holds the placeholder text") {
					t.Errorf("Check(Skeleton(%q)): %v, want only placeholder warnings", lang, d)
				}
				warnings++
			}
			if n := len(s.Sections[lang]); warnings != n {
				t.Errorf("Check(Skeleton(%q)) gave %d warnings, want %d", lang, warnings, n)
			}
		})
	}
}

// TestCheckSeed runs the default schema over the seed article and over
// edited copies of it, through article.Parse, so positions are real ones.
func TestCheckSeed(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "article", "testdata", "seed-0xC004F074.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := schema.Default()
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"as is", func(s string) string { return s }, ""},
		{"missing section", func(s string) string {
			return strings.Replace(s, "## 根本対策（恒久策）\n", "", 1)
		}, "seed.md:87:1: error: missing section \"根本対策\" (expected after \"5分で解決\")\n"},
		{"empty section", func(s string) string {
			return strings.Replace(s, "## 再発防止チェックリスト\n", "## 再発防止チェックリスト\n## 追加メモ\n", 1)
		}, "seed.md:140:1: error: section \"再発防止チェックリスト\" is empty\n" +
			"seed.md:141:1: warning: unknown section \"追加メモ\"\n"},
		{"out of order", func(s string) string {
			return strings.Replace(s, "## 要約\n", "## 概要\n", 1) + "\n\n## 要約\n- あとがき\n"
		}, "seed.md:9:1: warning: unknown section \"概要\"\n" +
			"seed.md:159:1: error: section \"要約\" is out of order: expected before \"よくある原因\"\n"},
		{"duplicate", func(s string) string {
			return s + "\n\n## 参考\n- https://example.com/\n"
		}, "seed.md:159:1: error: duplicate section \"参考\" (first at line 151)\n"},
		{"missing at end", func(s string) string {
			i := strings.Index(s, "## 参考")
			return s[:i] + "\n\n\n"
		}, "seed.md:149:1: error: missing section \"参考\" (expected after \"関連ケース\")\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, l := article.Parse("seed.md", []byte(tc.edit(string(src))), article.Options{
				Markdown: markdown.New(markdown.Config{}), Languages: []string{"ja", "en"}, Related: s.Related,
			})
			l = append(l, s.Check(a)...)
			if got := lines(l); got != tc.want {
				t.Errorf("Check(seed, %s) =\n%s\nwant:\n%s", tc.name, got, tc.want)
			}
		})
	}
}
