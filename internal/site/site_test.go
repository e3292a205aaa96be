package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kbgen/kbgen/internal/diag"
)

// jaBody is a body with the ten default Japanese sections; related is the
// list under 関連ケース.
func jaBody(related string) string {
	var b strings.Builder
	for _, s := range []string{"要約", "よくある原因", "60秒で確認", "5分で解決", "根本対策", "詳細手順", "よくある落とし穴", "再発防止チェックリスト", "関連ケース", "参考"} {
		fmt.Fprintf(&b, "## %s\n", s)
		switch s {
		case "関連ケース":
			b.WriteString(related + "\n\n")
		case "60秒で確認":
			b.WriteString("```cmd\nslmgr /dlv\n```\n\n")
		default:
			fmt.Fprintf(&b, "%sの本文。\n\n", s)
		}
	}
	return b.String()
}

func jaArticle(title, date, related string) string {
	return fmt.Sprintf("---\ntitle: %q\nerrorText: %q\ntags: [\"Windows\", \"KMS\"]\nupdatedAt: %q\nlang: \"ja\"\n---\n\n%s",
		title, title, date, jaBody(related))
}

func testSite() fstest.MapFS {
	return fstest.MapFS{
		"content/ja/kms.md":  {Data: []byte(jaArticle("ライセンス認証に失敗 0xC004F074", "2025-11-03T09:11:56.107Z", "- [時刻差](time.md)\n- [en](../en/kms.md#summary)"))},
		"content/ja/time.md": {Data: []byte(jaArticle("時刻差で 0xC004F074", "2025-10-01T00:00:00Z", "- [KMS](kms.md)"))},
		"content/en/kms.md": {Data: []byte(strings.NewReplacer("要約", "Summary", "よくある原因", "Common causes", "60秒で確認", "Check in 60 seconds", "5分で解決", "Fix in 5 minutes",
			"根本対策", "Permanent fix", "詳細手順", "Detailed steps", "よくある落とし穴", "Pitfalls", "再発防止チェックリスト", "Prevention checklist", "関連ケース", "Related cases", "参考", "References",
			`lang: "ja"`, `lang: "en"`).Replace(jaArticle("Activation fails with 0xC004F074", "2025-09-01T00:00:00Z", "- [ja](../ja/kms.md)")))},
	}
}

func load(t *testing.T, fsys fs.FS) (*Site, diag.List) {
	t.Helper()
	cfg, diags := LoadConfig(fsys)
	if diags.HasErrors() {
		t.Fatalf("LoadConfig: %v", diags)
	}
	s, diags, err := Load(context.Background(), fsys, cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s, diags
}

func TestLoad(t *testing.T) {
	s, diags := load(t, testSite())
	if len(diags) != 0 {
		t.Fatalf("Load: unexpected diagnostics:\n%v", diags)
	}
	var urls []string
	for _, p := range s.Articles {
		urls = append(urls, p.URL)
	}
	want := []string{"en/kms/", "ja/kms/", "ja/time/"}
	if !slices.Equal(urls, want) {
		t.Errorf("article URLs = %q, want %q", urls, want)
	}
	if got := len(s.codes["0xC004F074"]); got != 3 {
		t.Errorf("articles carrying 0xC004F074 = %d, want 3", got)
	}
	p := s.Page("content/ja/kms.md")
	if got := s.resolve(p, "../en/kms.md#summary").href; got != "/en/kms/#summary" {
		t.Errorf("resolve(../en/kms.md#summary) = %q, want /en/kms/#summary", got)
	}
}

func TestLoadDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{
			name: "broken link",
			files: fstest.MapFS{
				"content/ja/a.md": {Data: []byte(jaArticle("A 0xC004F074", "2025-11-03T00:00:00Z", "- [missing](missing.md)"))},
			},
			want: []string{`content/ja/a.md:36:3: error: link "missing.md" points to no article`},
		},
		{
			name: "broken link relaxed",
			files: fstest.MapFS{
				"kbgen.yaml":      {Data: []byte("brokenLinks: warning\n")},
				"content/ja/a.md": {Data: []byte(jaArticle("A 0xC004F074", "2025-11-03T00:00:00Z", "- [missing](../ja/missing.md)"))},
			},
			want: []string{`content/ja/a.md:36:3: warning: link "../ja/missing.md" points to no article`},
		},
		{
			name: "same URL",
			files: fstest.MapFS{
				"content/ja/a.md":     {Data: []byte(jaArticle("A 0xC004F074", "2025-11-03T00:00:00Z", "なし"))},
				"content/ja/A.md":     {Data: []byte(jaArticle("B 0xC004F074", "2025-11-03T00:00:00Z", "なし"))},
				"content/ja/sub/b.md": {Data: []byte(jaArticle("C 0xC004F074", "2025-11-03T00:00:00Z", "なし"))},
			},
			want: []string{`content/ja/a.md:1:1: error: URL /ja/a/ is already the URL of content/ja/A.md: rename one of the files`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := load(t, tc.files)
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		yaml  string
		check func(Config) bool
		diags []string
	}{
		{"baseURL: https://example.github.io/kb\n", func(c Config) bool { return c.BaseURL == "https://example.github.io/kb/" && c.BasePath() == "/kb/" }, nil},
		{"baseURL: kb\n", func(c Config) bool { return c.BasePath() == "/kb/" }, nil},
		{"schema:\n  off: true\nbrokenLinks: warning\ndefaultLang: en\n", func(c Config) bool { return c.Schema.Off && c.BrokenLinks == diag.Warning && c.DefaultLang == "en" }, nil},
		{"title: KB\nbrokenLinks: maybe\n", nil, []string{`kbgen.yaml:2:1: error: brokenLinks: want "error" or "warning", got "maybe"`}},
		{"title: KB\n", func(c Config) bool { return c.Paginate == DefaultPaginate }, nil},
		{"paginate: 3\n", func(c Config) bool { return c.Paginate == 3 }, nil},
		{"title: KB\npaginate: 0\n", func(c Config) bool { return c.Paginate == DefaultPaginate }, []string{`kbgen.yaml:2:1: error: paginate: want a positive number of articles per page, got 0`}},
		{"title: KB\nfeed: 5\npaginate: -10\n", nil, []string{`kbgen.yaml:3:1: error: paginate: want a positive number of articles per page, got -10`}},
		{"paginate: all\n", nil, []string{"kbgen.yaml:1:1: error: invalid configuration: unmarshal errors:\n  line 1: cannot unmarshal !!str `all` into int"}},
		{"title: [\n", nil, []string{`kbgen.yaml:1:1: error: invalid configuration: did not find expected node content`}},
		{"titel: KB\n", nil, []string{`kbgen.yaml:1:1: error: invalid configuration: unmarshal errors:
  line 1: field titel not found in type site.fileConfig`}},
	}
	for _, tc := range tests {
		cfg, diags := LoadConfig(fstest.MapFS{ConfigFile: {Data: []byte(tc.yaml)}})
		var got []string
		for _, d := range diags {
			got = append(got, d.String())
		}
		if !slices.Equal(got, tc.diags) {
			t.Errorf("LoadConfig(%q) diagnostics = %q, want %q", tc.yaml, got, tc.diags)
		}
		if tc.check != nil && !tc.check(cfg) {
			t.Errorf("LoadConfig(%q) = %+v: not as expected", tc.yaml, cfg)
		}
	}
}

// hashTree returns the SHA-256 of every file below dir.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Directories too: a build must not leave empty ones
			// behind that a clean build would not make.
			if rel, _ := filepath.Rel(dir, p); rel != "." {
				sums[filepath.ToSlash(rel)+"/"] = "dir"
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, p)
		sums[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func build(t *testing.T, fsys fs.FS, out string) Stats {
	t.Helper()
	s, diags := load(t, fsys)
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	st, err := s.Build(context.Background(), BuildOptions{Out: out})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return st
}

func TestBuildPages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	build(t, testSite(), out)
	for _, f := range []string{
		"index.html", "404.html", "sitemap.xml", "robots.txt", "feed.xml", "opensearch.xml",
		"ja/index.html", "en/index.html", "ja/kms/index.html", "ja/time/index.html", "en/kms/index.html",
		"tags/index.html", "tags/kms/index.html", "codes/index.html", "codes/0xC004F074/index.html", "search/index.html",
	} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output file %s", f)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "ja/kms/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="/ja/time/"`, `href="/en/kms/#summary"`, `class="chroma"`, `/codes/0xC004F074/`, `2025-11-03`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("ja/kms/index.html does not contain %s", want)
		}
	}
	code, _ := os.ReadFile(filepath.Join(out, "codes/0xC004F074/index.html"))
	for _, want := range []string{"/ja/kms/", "/ja/time/", "/en/kms/"} {
		if !strings.Contains(string(code), want) {
			t.Errorf("codes/0xC004F074/index.html does not link to %s", want)
		}
	}
}

func TestBuildBaseURL(t *testing.T) {
	fsys := testSite()
	fsys["kbgen.yaml"] = &fstest.MapFile{Data: []byte("baseURL: https://example.github.io/kb/\n")}
	out := filepath.Join(t.TempDir(), "public")
	build(t, fsys, out)
	page, _ := os.ReadFile(filepath.Join(out, "ja/kms/index.html"))
	if !strings.Contains(string(page), `href="/kb/ja/time/"`) {
		t.Errorf("article page under /kb/ does not link to /kb/ja/time/")
	}
	if strings.Contains(string(page), `href="/ja/`) {
		t.Errorf("article page under /kb/ links outside the base path")
	}
	sitemap, _ := os.ReadFile(filepath.Join(out, "sitemap.xml"))
	if !strings.Contains(string(sitemap), "<loc>https://example.github.io/kb/ja/kms/</loc>") {
		t.Errorf("sitemap lacks the absolute article URL:\n%s", sitemap)
	}
}

// TestDeterministic builds the same content twice with different
// parallelism and compares every byte, for a site with paged lists too.
func TestDeterministic(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{"small": testSite(), "paged": pagedSite("")} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			build(t, fsys, a)
			prev := runtime.GOMAXPROCS(1)
			build(t, fsys, b)
			runtime.GOMAXPROCS(prev)
			ha, hb := hashTree(t, a), hashTree(t, b)
			if len(ha) == 0 {
				t.Fatal("no files built")
			}
			for name, sum := range ha {
				if hb[name] != sum {
					t.Errorf("%s differs between builds", name)
				}
			}
			if len(ha) != len(hb) {
				t.Errorf("builds wrote %d and %d files", len(ha), len(hb))
			}
		})
	}
}

// TestBuildReplacesAtomically checks that a rebuild replaces the whole
// previous output and leaves no build directory behind.
func TestBuildReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	build(t, testSite(), out)
	stale := filepath.Join(out, "stale.html")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	build(t, testSite(), out)
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("a file of the previous build survived the rebuild")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output parent holds %q, want only public", names)
	}
}

// TestBuildFailureKeepsPrevious makes the build fail while writing (an
// unparsable site template) and checks the previous site is untouched.
func TestBuildFailureKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	build(t, testSite(), out)
	before := hashTree(t, out)
	fsys := testSite()
	fsys["templates/article.html"] = &fstest.MapFile{Data: []byte(`{{define "main"}}{{.NoSuchField}}{{end}}`)}
	s, _ := load(t, fsys)
	if _, err := s.Build(context.Background(), BuildOptions{Out: out}); err == nil {
		t.Fatal("Build with a broken template succeeded")
	}
	after := hashTree(t, out)
	if len(before) != len(after) {
		t.Fatalf("failed build changed the file count from %d to %d", len(before), len(after))
	}
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("failed build changed %s", name)
		}
	}
}

// TestCompactSameOutput checks that a site too large to keep its syntax
// trees and sources (see treeBudget) builds byte for byte what a small one
// does, reading each article again to render it, and that an article
// changed between checking and rendering fails the build rather than
// publishing a body that was not checked.
func TestCompactSameOutput(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	build(t, testSite(), a)
	fsys := testSite()
	s, _ := load(t, fsys)
	for _, p := range s.Articles {
		compact(p.Article)
		release(p)
		if !p.Doc.Released() {
			t.Fatalf("%s: source not released", p.Path)
		}
	}
	if _, err := s.Build(context.Background(), BuildOptions{Out: b}); err != nil {
		t.Fatal(err)
	}
	ha, hb := hashTree(t, a), hashTree(t, b)
	if len(ha) != len(hb) {
		t.Errorf("%d files after Compact, want %d", len(hb), len(ha))
	}
	for name, sum := range ha {
		if hb[name] != sum {
			t.Errorf("%s differs after Compact", name)
		}
	}

	f := fsys["content/ja/time.md"]
	f.Data = bytes.Replace(f.Data, []byte("## 要約\n"), []byte("## 要約\n\n<script>alert(1)</script>\n"), 1)
	_, err := s.Build(context.Background(), BuildOptions{Out: c})
	if err == nil || !strings.Contains(err.Error(), "content/ja/time.md: changed while the site was being built") {
		t.Errorf("Build after an article changed = %v, want it to say the article changed", err)
	}
	if _, serr := os.Stat(c); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("the failed build left %s: %v", c, serr)
	}
}

// pagedSite is seven Japanese articles, all tagged Windows and KMS and
// carrying 0xC004F074, with paginate: 3 (and any more kbgen.yaml lines in
// extra). Two share an updatedAt, so their order comes from the URL.
func pagedSite(extra string) fstest.MapFS {
	fsys := fstest.MapFS{"kbgen.yaml": {Data: []byte("paginate: 3\n" + extra)}}
	for i, day := range []int{1, 2, 3, 3, 5, 6, 7} {
		name := fmt.Sprintf("a%d", i+1)
		fsys["content/ja/"+name+".md"] = &fstest.MapFile{Data: []byte(jaArticle(
			fmt.Sprintf("記事 %d 0xC004F074", i+1), fmt.Sprintf("2025-01-%02dT00:00:00Z", day), "なし"))}
	}
	return fsys
}

var (
	cardRE    = regexp.MustCompile(`<a class="card-title" href="([^"]*)"`)
	currentRE = regexp.MustCompile(`<a href="([^"]*)" aria-label="[^"]*" aria-current="page">(\d+)</a>`)
)

// TestBuildPaginated builds seven articles with three to a page, at the
// root and under /kb/, and checks the pages of the language, tag and code
// lists: which files exist, their links to each other, the current page,
// and that every article is listed exactly once, in list order.
func TestBuildPaginated(t *testing.T) {
	// Newest first; a3 and a4 share a date, so the URL decides.
	order := []string{"ja/a7/", "ja/a6/", "ja/a5/", "ja/a3/", "ja/a4/", "ja/a2/", "ja/a1/"}
	bases := []struct {
		name, yaml, path, canonical string
	}{
		{"root", "", "/", ""},
		{"subpath", "baseURL: https://example.github.io/kb/\n", "/kb/", "https://example.github.io/kb/"},
	}
	for _, b := range bases {
		t.Run(b.name, func(t *testing.T) {
			fsys := pagedSite(b.yaml)
			out := filepath.Join(t.TempDir(), "public")
			build(t, fsys, out)
			s, _ := load(t, fsys)
			theme, err := s.LoadTheme()
			if err != nil {
				t.Fatal(err)
			}
			opts := PageOptions{Theme: theme}

			for _, list := range []string{"ja/", "tags/kms/", "tags/windows/", "codes/0xC004F074/"} {
				rels := []string{list, list + "page/2/", list + "page/3/"}
				var listed []string
				for i, rel := range rels {
					n := i + 1
					page, err := os.ReadFile(filepath.Join(out, rel, "index.html"))
					if err != nil {
						t.Errorf("page %d of %s: %v", n, list, err)
						continue
					}
					html := string(page)
					for _, m := range cardRE.FindAllStringSubmatch(html, -1) {
						listed = append(listed, strings.TrimPrefix(m[1], b.path))
					}
					var want, notWant []string
					if n > 1 {
						prev := b.path + rels[n-2]
						want = append(want, `<link rel="prev" href="`+prev+`">`, `<a class="pager-prev" href="`+prev+`" rel="prev">`,
							fmt.Sprintf(" – %d / 3 ページ | ", n))
					} else {
						notWant = append(notWant, `rel="prev"`, ` ページ | `)
					}
					if n < len(rels) {
						next := b.path + rels[n]
						want = append(want, `<link rel="next" href="`+next+`">`, `<a class="pager-next" href="`+next+`" rel="next">`)
					} else {
						notWant = append(notWant, `rel="next"`)
					}
					if b.canonical != "" {
						want = append(want, `<link rel="canonical" href="`+b.canonical+rel+`">`)
					}
					for _, w := range want {
						if !strings.Contains(html, w) {
							t.Errorf("page %d of %s lacks %s", n, list, w)
						}
					}
					for _, w := range notWant {
						if strings.Contains(html, w) {
							t.Errorf("page %d of %s contains %s", n, list, w)
						}
					}
					cur := currentRE.FindAllStringSubmatch(html, -1)
					if len(cur) != 1 || cur[0][1] != b.path+rel || cur[0][2] != strconv.Itoa(n) {
						t.Errorf("page %d of %s: current page links %q, want one, %s", n, list, cur, b.path+rel)
					}
					for _, r := range rels { // three pages: every number is shown
						if !strings.Contains(html, `<a href="`+b.path+r+`" aria-label=`) {
							t.Errorf("page %d of %s does not link to %s", n, list, b.path+r)
						}
					}
					// The dev server serves the same bytes.
					if got, found := renderRel(t, s, rel, opts); !found || !bytes.Equal(got, page) {
						t.Errorf("RenderPage(%q) = found %v, %d bytes: not the built page", rel, found, len(got))
					}
				}
				if !slices.Equal(listed, order) {
					t.Errorf("%s lists across its pages %q, want %q", list, listed, order)
				}
				for _, rel := range []string{list + "page/1/", list + "page/4/"} {
					if _, err := os.Stat(filepath.Join(out, rel)); err == nil {
						t.Errorf("%s exists: want pages 2 and 3 only below %s", rel, list)
					}
					if _, found := renderRel(t, s, rel, opts); found {
						t.Errorf("RenderPage(%q) found a page, want none", rel)
					}
				}
			}
			// A list that fits on one page is not paged.
			en, err := os.ReadFile(filepath.Join(out, "en", "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(en), `class="pager"`) {
				t.Errorf("en/index.html, with no articles, has a pager")
			}
			if _, err := os.Stat(filepath.Join(out, "en", "page")); err == nil {
				t.Errorf("en/page/ exists for a list that fits on one page")
			}
		})
	}
}
