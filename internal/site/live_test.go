package site

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kbgen/kbgen/internal/corpus"
)

// searchVersion returns the version directory of the search export in a
// built site.
func searchVersion(t *testing.T, out string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(out, "search"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			return e.Name()
		}
	}
	t.Fatal("no search export in the build")
	return ""
}

func renderRel(t *testing.T, s *Site, rel string, opts PageOptions) ([]byte, bool) {
	t.Helper()
	var b bytes.Buffer
	found, err := s.RenderPage(&b, rel, opts)
	if err != nil {
		t.Fatalf("RenderPage(%q): %v", rel, err)
	}
	return b.Bytes(), found
}

// TestRenderPageMatchesBuild renders every file of a build on request and
// compares it with what Build wrote, byte for byte: the dev server must
// serve the published site, not an approximation of it.
func TestRenderPageMatchesBuild(t *testing.T) {
	fsys := testSite()
	fsys["content/ja/draft.md"] = &fstest.MapFile{Data: []byte(strings.Replace(jaArticle("下書き 0x80070005", "2025-11-03T00:00:00Z", "なし"), "lang:", "draft: true\nlang:", 1))}
	fsys["content/ja/img/diagram.png"] = &fstest.MapFile{Data: []byte("\x89PNG fake")}
	out := filepath.Join(t.TempDir(), "public")
	build(t, fsys, out)
	s, _ := load(t, fsys)
	theme, err := s.LoadTheme()
	if err != nil {
		t.Fatal(err)
	}
	version := searchVersion(t, out)
	opts := PageOptions{Theme: theme}

	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		rel = filepath.ToSlash(rel)
		if rel == "search/index.json" || strings.HasPrefix(rel, "search/"+version+"/") {
			return nil // the search export, which the server keeps itself
		}
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var got []byte
		var found bool
		switch {
		case strings.HasPrefix(rel, "assets/"):
			got, found = theme.Asset(rel)
		default:
			req := strings.TrimSuffix(rel, "index.html") // request directories as a browser does
			got, found = renderRel(t, s, req, opts)
			if !found {
				if name, ok := s.ContentFile(rel); ok {
					got, _ = fs.ReadFile(s.FS, name)
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: built but not rendered on request", rel)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: rendered on request differs from the build:\n%s", rel, firstDiff(got, want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, rel := range []string{"nope/", "ja/draft/", "ja/kms", "ja/kms/extra/", "x.xml", "../kbgen.yaml", "assets/missing.css", "ja/kms.md"} {
		if _, found := renderRel(t, s, rel, opts); found {
			t.Errorf("RenderPage(%q) found a page, want none", rel)
		}
		if _, ok := s.ContentFile(rel); ok {
			t.Errorf("ContentFile(%q) found a file, want none", rel)
		}
	}
	if _, found := renderRel(t, s, "ja/kms/index.html", opts); !found {
		t.Errorf("RenderPage(%q) found nothing", "ja/kms/index.html")
	}
}

// firstDiff shows where two outputs part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-60)
	return "got:  …" + string(got[from:min(len(got), i+60)]) + "\nwant: …" + string(want[from:min(len(want), i+60)])
}

// TestUpdateMatchesLoad changes, adds and removes files and checks that
// Update gives what a fresh Load of the changed files gives, while the
// Site it was called on stays as it was.
func TestUpdateMatchesLoad(t *testing.T) {
	tests := []struct {
		name   string
		change func(fstest.MapFS) []string
	}{
		{"edit", func(fs fstest.MapFS) []string {
			fs["content/ja/time.md"] = &fstest.MapFile{Data: []byte(jaArticle("時刻のずれで 0xC004F074 (改訂)", "2025-10-02T00:00:00Z", "- [KMS](kms.md)"))}
			return []string{"content/ja/time.md"}
		}},
		{"edit breaks a link", func(fs fstest.MapFS) []string {
			fs["content/ja/time.md"] = &fstest.MapFile{Data: []byte(jaArticle("時刻差で 0xC004F074", "2025-10-01T00:00:00Z", "- [KMS](kms.md)\n- [gone](gone.md)"))}
			return []string{"content/ja/time.md"}
		}},
		{"add", func(fs fstest.MapFS) []string {
			fs["content/ja/new.md"] = &fstest.MapFile{Data: []byte(jaArticle("新しい記事 0x80070005", "2025-11-04T00:00:00Z", "- [KMS](kms.md)"))}
			return []string{"content/ja/new.md"}
		}},
		{"remove linked article", func(fs fstest.MapFS) []string {
			delete(fs, "content/en/kms.md")
			return []string{"content/en/kms.md"}
		}},
		{"break", func(fs fstest.MapFS) []string {
			fs["content/ja/time.md"] = &fstest.MapFile{Data: []byte("---\ntitle: [\n---\n")}
			return []string{"content/ja/time.md"}
		}},
		{"remove directory", func(fs fstest.MapFS) []string {
			delete(fs, "content/ja/kms.md")
			delete(fs, "content/ja/time.md")
			return []string{"content/ja"}
		}},
		{"add directory", func(fs fstest.MapFS) []string {
			fs["content/ja/sub/a.md"] = &fstest.MapFile{Data: []byte(jaArticle("下の記事 0x800F0922", "2025-11-04T00:00:00Z", "- [KMS](../kms.md)"))}
			fs["content/ja/sub/_b.md"] = &fstest.MapFile{Data: []byte("not an article")}
			return []string{"content/ja/sub"}
		}},
		{"ignored", func(fs fstest.MapFS) []string {
			fs["content/ja/.x.md.swp"] = &fstest.MapFile{Data: []byte("editor state")}
			fs["templates/article.html"] = &fstest.MapFile{Data: []byte("x")}
			return []string{"content/ja/.x.md.swp", "templates/article.html", "kbgen.yaml"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := testSite()
			old, oldDiags := load(t, fsys)
			theme, err := old.LoadTheme()
			if err != nil {
				t.Fatal(err)
			}
			opts := PageOptions{Theme: theme}
			before, _ := renderRel(t, old, "ja/time/", opts)

			changed := tc.change(fsys)
			updated, diags, err := old.Update(context.Background(), changed)
			if err != nil {
				t.Fatal(err)
			}
			fresh, freshDiags := load(t, fsys)

			if got, want := diagStrings(diags), diagStrings(freshDiags); !slices.Equal(got, want) {
				t.Errorf("Update diagnostics:\n%s\nLoad diagnostics:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if got, want := urls(updated.Articles), urls(fresh.Articles); !slices.Equal(got, want) {
				t.Errorf("Update articles %q, Load articles %q", got, want)
			}
			for _, rel := range append(urls(fresh.Articles), "", "ja/", "en/", "tags/", "tags/kms/", "codes/", "codes/0xC004F074/", "404.html", "sitemap.xml") {
				got, gotFound := renderRel(t, updated, rel, opts)
				want, wantFound := renderRel(t, fresh, rel, opts)
				if gotFound != wantFound || !bytes.Equal(got, want) {
					t.Errorf("%q after Update differs from after Load (found %v, %v)", rel, gotFound, wantFound)
				}
			}

			// The old Site is untouched.
			if got, want := diagStrings(old.index()), diagStrings(oldDiags); !slices.Equal(got, want) {
				t.Errorf("old site's diagnostics changed to:\n%s", strings.Join(got, "\n"))
			}
			if after, _ := renderRel(t, old, "ja/time/", opts); !bytes.Equal(after, before) {
				t.Errorf("old site's page changed after Update")
			}
		})
	}
}

func diagStrings[L ~[]D, D interface{ String() string }](l L) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.String())
	}
	return out
}

func urls(pages []*Page) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.URL)
	}
	return out
}

// benchEdits writes a generated corpus of n articles and loads it. It
// returns the site, the article in its middle, and edit, which appends a
// line naming i to that article's file and returns the line.
func benchEdits(b *testing.B, n int) (s *Site, p *Page, edit func(i int) string) {
	root := benchCorpus(b, n)
	fsys := os.DirFS(root)
	cfg, _ := LoadConfig(fsys)
	s, diags, err := Load(context.Background(), fsys, cfg)
	if err != nil || diags.HasErrors() {
		b.Fatalf("Load: %v %v", err, diags)
	}
	p = s.Articles[len(s.Articles)/2]
	file := filepath.Join(root, filepath.FromSlash(p.Path))
	orig, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	return s, p, func(i int) string {
		// Of a length that varies from edit to edit, as an author's do:
		// the article's length enters the impacts of all its terms.
		line := "編集 " + strconv.Itoa(i) + strings.Repeat(" 再起動後に状態を確認する", 1+i%4)
		if err := os.WriteFile(file, append(slices.Clone(orig), "\n"+line+"\n"...), 0o644); err != nil {
			b.Fatal(err)
		}
		return line
	}
}

// BenchmarkUpdate measures the dev server's work after an author saves one
// article: Update (re-parse that file, rebuild the indexes, check every
// link) and rendering the changed article's page. The target is
// under 200 ms at 10,000 articles:
//
//	KBGEN_BENCH_SIZES=10000 go test ./internal/site -run '^$' -bench Update -benchtime 20x
func BenchmarkUpdate(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s, p, edit := benchEdits(b, n)
			theme, err := s.LoadTheme()
			if err != nil {
				b.Fatal(err)
			}
			opts := PageOptions{Theme: theme}
			var update, page time.Duration
			i := 0
			for b.Loop() {
				i++
				line := edit(i)
				start := time.Now()
				next, _, err := s.Update(context.Background(), []string{p.Path})
				if err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				var out bytes.Buffer
				if found, err := next.RenderPage(&out, p.URL, opts); err != nil || !found {
					b.Fatalf("RenderPage(%q) = %v, %v", p.URL, found, err)
				}
				if !bytes.Contains(out.Bytes(), []byte(line)) {
					b.Fatalf("rendered page lacks the edit")
				}
				update += mid.Sub(start)
				page += time.Since(mid)
				s = next
			}
			b.ReportMetric(float64(update.Microseconds())/1000/float64(i), "update-ms/op")
			b.ReportMetric(float64(page.Microseconds())/1000/float64(i), "render-ms/op")
		})
	}
}

// BenchmarkUpdateSearch measures what follows an edit in the dev server
// once the pages are up to date: the update of the search index, kept
// open, and its export, for one changed article.
//
//	KBGEN_BENCH_SIZES=10000 go test ./internal/site -run '^$' -bench UpdateSearch -benchtime 10x
func BenchmarkUpdateSearch(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			s, p, edit := benchEdits(b, n)
			exportDir := filepath.Join(b.TempDir(), "search")
			ix, prev := exportSearch(b, s, exportDir)
			var update, export time.Duration
			i := 0
			for b.Loop() {
				i++
				b.StopTimer()
				edit(i)
				next, _, err := s.Update(ctx, []string{p.Path})
				if err != nil {
					b.Fatal(err)
				}
				s = next
				b.StartTimer()
				start := time.Now()
				if err := ix.Update(ctx, s); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				e, err := ix.Export(exportDir, prev)
				if err != nil {
					b.Fatal(err)
				}
				update += mid.Sub(start)
				export += time.Since(mid)
				if err := PruneExports(exportDir, e); err != nil {
					b.Fatal(err)
				}
				prev = e
			}
			b.ReportMetric(float64(update.Microseconds())/1000/float64(i), "update-ms/op")
			b.ReportMetric(float64(export.Microseconds())/1000/float64(i), "export-ms/op")
		})
	}
}

// exportSearch builds the search index of s afresh, in a directory of its
// own that goes with the test, and exports it into dir, as the dev server
// does at start.
func exportSearch(tb testing.TB, s *Site, dir string) (*SearchIndex, *SearchExport) {
	tb.Helper()
	ix, err := s.UpdateSearch(context.Background(), filepath.Join(tb.TempDir(), "index"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Discard() })
	e, err := ix.Export(dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ix, e
}

// TestSearchExportOver follows a dev server's search through two edits:
// each export serves what the index holds byte for byte, writes only the
// files that changed, and PruneExports keeps exactly the directories the
// export served reads from.
func TestSearchExportOver(t *testing.T) {
	ctx := context.Background()
	fsys, _ := corpus.Generate(40, 1)
	cfg, _ := LoadConfig(fsys)
	s, diags, err := Load(ctx, fsys, cfg)
	if err != nil || diags.HasErrors() {
		t.Fatalf("Load: %v %v", err, diags)
	}
	dir := filepath.Join(t.TempDir(), "search")
	ix, e := exportSearch(t, s, dir)
	first := e
	p := s.Articles[7]
	for i := range 2 {
		prev := e
		f := fsys[p.Path]
		f.Data = append(slices.Clone(f.Data), "\n追記 "+strconv.Itoa(i)+"\n"...)
		if s, _, err = s.Update(ctx, []string{p.Path}); err != nil {
			t.Fatal(err)
		}
		if err := ix.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
		if e, err = ix.Export(dir, prev); err != nil {
			t.Fatal(err)
		}
		if again, err := ix.Export(dir, e); err != nil || again != e {
			t.Errorf("edit %d: an export of the same version is a new one (%v)", i, err)
		}
		if err := os.Mkdir(filepath.Join(dir, "stray"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := PruneExports(dir, e); err != nil {
			t.Fatal(err)
		}

		// What a fresh index exports for the site.
		_, want := exportSearch(t, s, t.TempDir())
		if e.Version() != want.Version() || !bytes.Equal(e.Entry(), want.Entry()) {
			t.Fatalf("edit %d: version %s, entry %.60q; a fresh export's %s, %.60q", i, e.Version(), e.Entry(), want.Version(), want.Entry())
		}
		written := 0
		for name := range want.files {
			got, ok := e.ReadFile(name)
			data, _ := want.ReadFile(name)
			if !ok || !bytes.Equal(got, data) {
				t.Errorf("edit %d: %s differs from a fresh export's", i, name)
			}
			old, _ := prev.ReadFile(name)
			if f := e.files[name]; f.Data != nil || f.Path == filepath.Join(dir, e.Version(), filepath.FromSlash(name)) {
				written++
				if bytes.Equal(old, data) && name != "index.json" {
					t.Errorf("edit %d: %s is unchanged but was written again", i, name)
				}
			}
		}
		if len(e.files) != len(want.files) || written == 0 || written == len(want.files) {
			t.Errorf("edit %d: %d files, %d written; want %d, some written", i, len(e.files), written, len(want.files))
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, en := range entries {
			left = append(left, en.Name())
		}
		if dirs := slices.Sorted(maps.Keys(e.dirs)); !slices.Equal(left, dirs) || !slices.Contains(left, first.Version()) || slices.Contains(left, "stray") {
			t.Errorf("edit %d: left %q after pruning, want the export's directories %q, the first's among them", i, left, dirs)
		}
	}
}
