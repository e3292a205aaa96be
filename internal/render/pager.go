package render

// Pager is the pagination of a list page whose articles are split across
// several pages: where the page is in the list, the links to its
// neighbours, and the page numbers the pagination nav shows. Package site
// makes one with NewPager for every page of a list that does not fit on
// one page, and leaves Page.Pager nil for a list that does.
type Pager struct {
	Page  int         // this page's number, from 1
	Pages int         // number of pages of the list, at least 2
	Prev  string      // URL of the previous page; empty on the first page
	Next  string      // URL of the next page; empty on the last page
	Items []PagerItem // the page numbers to show, in order, with gaps; see NewPager

	// The articles of this page are articles First to Last (from 1) of
	// Total, so that a page can say "21–40 of 95".
	First, Last, Total int
}

// PagerItem is one entry of a pager's list of page numbers: a page, or a
// gap standing for two or more pages left out (shown as an ellipsis).
type PagerItem struct {
	Number  int    // the page's number; 0 for a gap
	URL     string // the page's URL; empty for a gap
	Current bool   // the page is the one the pager is on
}

// pagerSlots is the most page numbers a pager shows: the first and the
// last, the current page and one neighbour on each side, and a gap on each
// side. A fixed count keeps the nav the same width on every page of a
// long list, so the next and previous links do not move under the pointer
// while a reader pages through; and seven entries with four-digit numbers
// fit in one row on a 360 px phone (321 of its 328 px, measured in
// Chromium with the default stylesheet).
const pagerSlots = 7

// NewPager returns the pager of page (from 1) of a list of pages pages,
// where url(n) is the URL of page n. total is the number of articles of
// the whole list and size the number per page.
//
// The page numbers shown are those of window: every page when there are at
// most seven; otherwise the first and last pages, the current page and its
// neighbours, and gaps. A gap always stands for two or more pages, since an
// ellipsis in place of a single number hides nothing and costs the same
// room; near either end the window is widened instead, so there are always
// seven entries.
func NewPager(page, pages, total, size int, url func(n int) string) *Pager {
	p := &Pager{
		Page:  page,
		Pages: pages,
		First: (page-1)*size + 1,
		Last:  min(page*size, total),
		Total: total,
	}
	if page > 1 {
		p.Prev = url(page - 1)
	}
	if page < pages {
		p.Next = url(page + 1)
	}
	for _, n := range window(page, pages) {
		it := PagerItem{Number: n}
		if n != 0 {
			it.URL = url(n)
			it.Current = n == page
		}
		p.Items = append(p.Items, it)
	}
	return p
}

// window returns the page numbers a pager on page cur of n shows, with 0
// for a gap: 1 … n when n ≤ 7, else seven entries, as in
//
//	cur ≤ 4:           1 2 3 4 5 … n
//	5 ≤ cur ≤ n-4:     1 … cur-1 cur cur+1 … n
//	cur ≥ n-3:         1 … n-4 n-3 n-2 n-1 n
//
// The bounds make every gap cover at least two pages: in the middle case
// the first gap is 2 … cur-2 and the second cur+2 … n-1.
func window(cur, n int) []int {
	if n <= pagerSlots {
		w := make([]int, n)
		for i := range w {
			w[i] = i + 1
		}
		return w
	}
	switch {
	case cur <= 4:
		return []int{1, 2, 3, 4, 5, 0, n}
	case cur >= n-3:
		return []int{1, 0, n - 4, n - 3, n - 2, n - 1, n}
	default:
		return []int{1, 0, cur - 1, cur, cur + 1, 0, n}
	}
}
