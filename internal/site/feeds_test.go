package site

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kbgen/kbgen/internal/article"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFeedsGolden writes the feeds of a site whose articles share update
// times (the feed breaks ties by URL) and have titles to escape, with a
// feed shorter than the site, and compares them with
// testdata/feeds.golden.
func TestFeedsGolden(t *testing.T) {
	fsys := fstest.MapFS{
		"kbgen.yaml": {Data: []byte("title: KB <&> \"test\"\nbaseURL: https://example.github.io/kb/\nfeed: 4\n")},
	}
	dates := []string{"2025-11-03T09:11:56.107Z", "2025-10-01T00:00:00Z", "2025-11-03T09:11:56.107Z", "2024-01-01T00:00:00+09:00", "2025-10-01T00:00:00Z", "2026-01-02T03:04:05Z"}
	for i, d := range dates {
		title := fmt.Sprintf("記事 %d <b>&amp; \"0xC004F07%d\"", i, i)
		fsys[fmt.Sprintf("content/ja/a%d.md", (7*i)%len(dates))] = &fstest.MapFile{Data: []byte(jaArticle(title, d, "- [KMS](a0.md)"))}
	}
	s, diags := load(t, fsys)
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	if s.Config.Feed != 4 {
		t.Fatalf("feed length %d, want 4", s.Config.Feed)
	}
	out := memory{}
	if err := s.writeFeeds(out, s.siteView("kbgen test")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, name := range []string{"sitemap.xml", "robots.txt", "feed.xml", "opensearch.xml"} {
		got = fmt.Appendf(got, "== %s\n%s", name, out[name])
	}
	file := filepath.Join("testdata", "feeds.golden")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("feeds differ from %s (run go test -update after reviewing):\n%s", file, got)
	}
}

// TestMostRecent checks mostRecent against sorting every page, on pages
// that share update times.
func TestMostRecent(t *testing.T) {
	var pages []*Page
	for i := range 40 {
		p := &Page{Article: &article.Article{}, URL: fmt.Sprintf("ja/%02d/", (i*17)%40)}
		p.UpdatedAt = time.Date(2025, 1, 1+i%5, 0, 0, 0, 0, time.UTC)
		pages = append(pages, p)
	}
	sorted := slices.Clone(pages)
	slices.SortFunc(sorted, byUpdated)
	for n := range 45 {
		want := sorted[:min(n, len(sorted))]
		if got := mostRecent(pages, n); !slices.Equal(got, want) {
			t.Errorf("mostRecent(pages, %d) differs from the first %d sorted", n, n)
		}
	}
}

// TestWriteXMLText checks writeXMLText against xml.EscapeText (xmlText),
// on the plain ASCII it writes as it is and on what it leaves to the
// escaper.
func TestWriteXMLText(t *testing.T) {
	for _, s := range []string{"", "https://example.org/kb/ja/kms-0xc004f074/", "a&b", "<x>", `"q"`, "it's", "tab\there", "ライセンス/", "bad \xff byte", "del\x7f"} {
		var b bytes.Buffer
		writeXMLText(&b, s)
		if got, want := b.String(), xmlText(s); got != want {
			t.Errorf("writeXMLText(%q) = %q, want %q", s, got, want)
		}
	}
}
