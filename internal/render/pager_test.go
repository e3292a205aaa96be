package render

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWindow pins the page numbers a pager shows; 0 is a gap.
func TestWindow(t *testing.T) {
	tests := []struct {
		name     string
		cur, n   int
		want     []int
		wantText string // the same, as the nav reads
	}{
		{"one page", 1, 1, []int{1}, "1"},
		{"two pages, first", 1, 2, []int{1, 2}, "1 2"},
		{"two pages, last", 2, 2, []int{1, 2}, "1 2"},
		{"seven pages, all shown", 4, 7, []int{1, 2, 3, 4, 5, 6, 7}, "1 2 3 4 5 6 7"},
		{"eight pages, first", 1, 8, []int{1, 2, 3, 4, 5, 0, 8}, "1 2 3 4 5 … 8"},
		{"eight pages, 4: last of the start case", 4, 8, []int{1, 2, 3, 4, 5, 0, 8}, "1 2 3 4 5 … 8"},
		{"eight pages, 5: first of the end case", 5, 8, []int{1, 0, 4, 5, 6, 7, 8}, "1 … 4 5 6 7 8"},
		{"eight pages, last", 8, 8, []int{1, 0, 4, 5, 6, 7, 8}, "1 … 4 5 6 7 8"},
		{"nine pages, middle", 5, 9, []int{1, 0, 4, 5, 6, 0, 9}, "1 … 4 5 6 … 9"},
		{"100 pages, 5: first middle", 5, 100, []int{1, 0, 4, 5, 6, 0, 100}, "1 … 4 5 6 … 100"},
		{"100 pages, 50", 50, 100, []int{1, 0, 49, 50, 51, 0, 100}, "1 … 49 50 51 … 100"},
		{"100 pages, 96: last middle", 96, 100, []int{1, 0, 95, 96, 97, 0, 100}, "1 … 95 96 97 … 100"},
		{"100 pages, 97: end case", 97, 100, []int{1, 0, 96, 97, 98, 99, 100}, "1 … 96 97 98 99 100"},
		{"100 pages, last", 100, 100, []int{1, 0, 96, 97, 98, 99, 100}, "1 … 96 97 98 99 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := window(tc.cur, tc.n)
			if !slices.Equal(got, tc.want) {
				t.Errorf("window(%d, %d) = %v, want %v", tc.cur, tc.n, got, tc.want)
			}
			var text []string
			for _, p := range got {
				if p == 0 {
					text = append(text, "…")
				} else {
					text = append(text, strconv.Itoa(p))
				}
			}
			if s := strings.Join(text, " "); s != tc.wantText {
				t.Errorf("window(%d, %d) reads %q, want %q", tc.cur, tc.n, s, tc.wantText)
			}
		})
	}
}

// TestWindowProperties checks what the nav promises on every page of lists
// of 1 to 60 pages: the first, last, current and neighbouring pages are
// shown, in increasing order, never more than seven entries and exactly
// seven when there are more pages than that, and no gap stands for fewer
// than two pages.
func TestWindowProperties(t *testing.T) {
	for n := 1; n <= 60; n++ {
		for cur := 1; cur <= n; cur++ {
			w := window(cur, n)
			where := fmt.Sprintf("window(%d, %d) = %v", cur, n, w)
			if want := min(n, pagerSlots); len(w) != want {
				t.Errorf("%s: %d entries, want %d", where, len(w), want)
			}
			for _, must := range []int{1, n, cur, max(1, cur-1), min(n, cur+1)} {
				if !slices.Contains(w, must) {
					t.Errorf("%s: page %d missing", where, must)
				}
			}
			prev := 0 // the last page number shown
			for i, p := range w {
				switch {
				case p == 0 && (i == 0 || i == len(w)-1 || w[i-1] == 0):
					t.Errorf("%s: gap at the end or beside another gap", where)
				case p == 0 && w[i+1]-prev < 3:
					t.Errorf("%s: gap between %d and %d stands for fewer than two pages", where, prev, w[i+1])
				case p != 0 && p <= prev:
					t.Errorf("%s: %d after %d", where, p, prev)
				case p != 0 && i > 0 && w[i-1] != 0 && p != prev+1:
					t.Errorf("%s: %d follows %d without a gap", where, p, prev)
				}
				if p != 0 {
					prev = p
				}
			}
		}
	}
}

func TestNewPager(t *testing.T) {
	url := func(n int) string {
		if n == 1 {
			return "/kb/ja/"
		}
		return fmt.Sprintf("/kb/ja/page/%d/", n)
	}
	tests := []struct {
		name                string
		page, pages, total  int
		wantPrev, wantNext  string
		wantFirst, wantLast int
		wantItems           string // number:URL, * for the current page, … for a gap
	}{
		{
			name: "first of three", page: 1, pages: 3, total: 7,
			wantNext: "/kb/ja/page/2/", wantFirst: 1, wantLast: 3,
			wantItems: "*1:/kb/ja/ 2:/kb/ja/page/2/ 3:/kb/ja/page/3/",
		},
		{
			name: "middle of three", page: 2, pages: 3, total: 7,
			wantPrev: "/kb/ja/", wantNext: "/kb/ja/page/3/", wantFirst: 4, wantLast: 6,
			wantItems: "1:/kb/ja/ *2:/kb/ja/page/2/ 3:/kb/ja/page/3/",
		},
		{
			name: "last of three, short", page: 3, pages: 3, total: 7,
			wantPrev: "/kb/ja/page/2/", wantFirst: 7, wantLast: 7,
			wantItems: "1:/kb/ja/ 2:/kb/ja/page/2/ *3:/kb/ja/page/3/",
		},
		{
			name: "middle of ten", page: 6, pages: 10, total: 30,
			wantPrev: "/kb/ja/page/5/", wantNext: "/kb/ja/page/7/", wantFirst: 16, wantLast: 18,
			wantItems: "1:/kb/ja/ … 5:/kb/ja/page/5/ *6:/kb/ja/page/6/ 7:/kb/ja/page/7/ … 10:/kb/ja/page/10/",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPager(tc.page, tc.pages, tc.total, 3, url)
			if p.Page != tc.page || p.Pages != tc.pages || p.Total != tc.total {
				t.Errorf("NewPager(%d, %d, %d, 3) = page %d of %d, total %d", tc.page, tc.pages, tc.total, p.Page, p.Pages, p.Total)
			}
			if p.Prev != tc.wantPrev || p.Next != tc.wantNext {
				t.Errorf("NewPager(%d, %d, …): prev %q, next %q, want %q, %q", tc.page, tc.pages, p.Prev, p.Next, tc.wantPrev, tc.wantNext)
			}
			if p.First != tc.wantFirst || p.Last != tc.wantLast {
				t.Errorf("NewPager(%d, %d, …): articles %d–%d, want %d–%d", tc.page, tc.pages, p.First, p.Last, tc.wantFirst, tc.wantLast)
			}
			var items []string
			for _, it := range p.Items {
				switch {
				case it.Number == 0:
					items = append(items, "…")
				case it.Current:
					items = append(items, fmt.Sprintf("*%d:%s", it.Number, it.URL))
				default:
					items = append(items, fmt.Sprintf("%d:%s", it.Number, it.URL))
				}
			}
			if got := strings.Join(items, " "); got != tc.wantItems {
				t.Errorf("NewPager(%d, %d, …) items = %q, want %q", tc.page, tc.pages, got, tc.wantItems)
			}
		})
	}
}

// pagedList is page 6 of 10 of a code page's list, as site hands it over.
func pagedList() ListPage {
	url := func(n int) string {
		if n == 1 {
			return "/kb/codes/0xC004F074/"
		}
		return fmt.Sprintf("/kb/codes/0xC004F074/page/%d/", n)
	}
	l := ListPage{
		Page:    page("code", "ja", "0xC004F074", "codes/0xC004F074/page/6/", home, Link{Title: "Error codes", URL: "/kb/codes/"}),
		Heading: "0xC004F074", Intro: "Windows のライセンス認証に失敗 0xC004F074", Articles: summaries(),
	}
	l.Pager = NewPager(6, 10, 20, 2, url)
	return l
}

// TestPagedList checks the parts of a paged list page that the first page
// of a list without paging lacks, in both languages.
func TestPagedList(t *testing.T) {
	ts := mustLoad(t, nil)
	common := []string{
		`<link rel="canonical" href="https://kb.example.com/kb/codes/0xC004F074/page/6/">`,
		`<link rel="prev" href="/kb/codes/0xC004F074/page/5/">`,
		`<link rel="next" href="/kb/codes/0xC004F074/page/7/">`,
		`<a class="pager-prev" href="/kb/codes/0xC004F074/page/5/" rel="prev">`,
		`<a class="pager-next" href="/kb/codes/0xC004F074/page/7/" rel="next">`,
		`<li class="pager-gap">…</li>`,
	}
	tests := []struct {
		lang string
		want []string
	}{
		{"ja", []string{
			`<title>0xC004F074 – 6 / 10 ページ | サポート KB</title>`,
			`<li aria-current="page">0xC004F074 – 6 / 10 ページ</li>`,
			`<p class="count">20 件中 11〜12 件</p>`,
			`<nav class="pager" aria-label="ページ送り">`,
			`<li><a href="/kb/codes/0xC004F074/" aria-label="1 ページ目">1</a></li>`,
			`<li><a href="/kb/codes/0xC004F074/page/6/" aria-label="6 ページ目" aria-current="page">6</a></li>`,
			`<li><a href="/kb/codes/0xC004F074/page/10/" aria-label="10 ページ目">10</a></li>`,
			`前へ</a>`, `次へ <span aria-hidden="true">›</span></a>`,
		}},
		{"en", []string{
			`<title>0xC004F074 – page 6 of 10 | サポート KB</title>`,
			`<p class="count">11–12 of 20 articles</p>`,
			`<nav class="pager" aria-label="Pagination">`,
			`<a href="/kb/codes/0xC004F074/page/6/" aria-label="Page 6" aria-current="page">6</a>`,
			`<span aria-hidden="true">‹</span> Previous</a>`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			out := execute(t, ts, "list.html", withLang(pagedList(), tc.lang))
			for _, w := range append(common, tc.want...) {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s", w)
				}
			}
			if n := strings.Count(out, `aria-current="page"`); n != 2 { // the breadcrumb and the pager
				t.Errorf("%d elements with aria-current=page, want 2", n)
			}
			if err := checkHTML(out); err != nil {
				t.Errorf("malformed HTML: %v\n%s", err, out)
			}
		})
	}

	// The first page has a next but no previous link, and the title and
	// the count of a list that is not paged.
	first := pagedList()
	first.Pager = NewPager(1, 10, 20, 2, func(n int) string { return fmt.Sprintf("/kb/codes/0xC004F074/page/%d/", n) })
	out := execute(t, ts, "list.html", first)
	for _, bad := range []string{`rel="prev"`, ` – 1 / 10`, `pager-prev`} {
		if strings.Contains(out, bad) {
			t.Errorf("first page contains %s", bad)
		}
	}
	for _, w := range []string{`<title>0xC004F074 | サポート KB</title>`, `<link rel="next"`, `20 件中 1〜2 件`} {
		if !strings.Contains(out, w) {
			t.Errorf("first page lacks %s", w)
		}
	}
	// A list that fits on one page has no pager at all.
	out = execute(t, ts, "list.html", pages(t)["list.html"])
	for _, bad := range []string{`class="pager"`, `rel="prev"`, `rel="next"`} {
		if strings.Contains(out, bad) {
			t.Errorf("list without paging contains %s", bad)
		}
	}
}

// TestPagedListGolden locks a whole paged list page. Run with -update
// after an intended template change and review the diff.
func TestPagedListGolden(t *testing.T) {
	out := execute(t, mustLoad(t, nil), "list.html", pagedList())
	golden(t, filepath.Join("testdata", "list-paged.golden.html"), out)
}
