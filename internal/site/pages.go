package site

import (
	"bytes"
	"cmp"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/render"
)

// siteView returns what every page knows about the site.
func (s *Site) siteView(generator string) *render.Site {
	base := s.base
	v := &render.Site{
		Title:         s.Config.Title,
		BaseURL:       s.Config.BaseURL,
		BasePath:      base,
		Assets:        make(map[string]string),
		SearchURL:     base + "search/",
		TagsURL:       base + "tags/",
		CodesURL:      base + "codes/",
		FeedURL:       base + "feed.xml",
		OpenSearchURL: base + "opensearch.xml",
		Generator:     generator,
	}
	counts := make(map[string]int)
	for _, p := range s.Articles {
		counts[p.Lang]++
	}
	for _, l := range s.Config.Languages {
		v.Languages = append(v.Languages, render.Language{
			Code: l.Code, Name: l.Name, URL: base + l.Code + "/", Count: counts[l.Code],
		})
	}
	return v
}

// page returns the common part of a page at rel (relative to the base).
func (s *Site) page(view *render.Site, kind, lang, title, rel string) render.Page {
	if lang == "" {
		lang = s.Config.Languages[0].Code
	}
	p := render.Page{
		Site:  view,
		Kind:  kind,
		Lang:  lang,
		Title: title,
		URL:   view.BasePath + rel,
	}
	if s.canon != "" {
		p.Canonical = s.canon + rel
	}
	if kind != "home" {
		p.Breadcrumbs = []render.Link{{Title: view.Title, URL: view.BasePath}}
	}
	return p
}

func (s *Site) codeView(c errcode.Code) render.Code {
	return render.Code{Code: string(c), URL: s.base + "codes/" + string(c) + "/"}
}

func (s *Site) tagView(name string) render.Tag {
	sl := slug(name)
	return render.Tag{Name: name, URL: s.base + "tags/" + sl + "/", Count: len(s.tags[sl])}
}

func (s *Site) summary(p *Page) render.ArticleSummary {
	a := render.ArticleSummary{
		Title:     p.Title,
		URL:       s.base + p.URL,
		Lang:      p.Lang,
		ErrorText: p.ErrorText,
		UpdatedAt: p.UpdatedAt,
	}
	for _, c := range p.Codes {
		a.Codes = append(a.Codes, s.codeView(c))
	}
	for _, t := range p.Tags {
		a.Tags = append(a.Tags, s.tagView(t))
	}
	return a
}

// summaryList makes the summaries of lists of pages from one summary per
// article. An article is in a list for its language, one for each tag and
// one for each error code, and making its summary afresh for each (tag and
// code views, URLs) was most of the list pages' own work in a rebuild.
type summaryList map[*Page]render.ArticleSummary

// summaries returns the summary of every article of s, made in parallel.
func (s *Site) summaries() summaryList {
	all := make([]render.ArticleSummary, len(s.Articles))
	parallel(len(s.Articles), func(i int) { all[i] = s.summary(s.Articles[i]) })
	l := make(summaryList, len(all))
	for i, p := range s.Articles {
		l[p] = all[i]
	}
	return l
}

// of lists the summaries of pages, most recently updated first; ties,
// which are common in imported content, are broken by URL so the order is
// stable. It lists at most limit, or all if limit is negative.
func (l summaryList) of(pages []*Page, limit int) []render.ArticleSummary {
	sorted := slices.Clone(pages)
	slices.SortFunc(sorted, byUpdated)
	if limit >= 0 && len(sorted) > limit {
		sorted = sorted[:limit]
	}
	out := make([]render.ArticleSummary, len(sorted))
	for i, p := range sorted {
		out[i] = l[p]
	}
	return out
}

// withoutCounts returns l with no counts of articles under the summaries'
// tags, for pages whose template names no Count, as the site's view
// without counts is for them (see withoutCounts, the function).
func (l summaryList) withoutCounts() summaryList {
	out := make(summaryList, len(l))
	for p, a := range l {
		a.Tags = tagsWithoutCounts(a.Tags)
		out[p] = a
	}
	return out
}

// tagsWithoutCounts returns a copy of tags with no counts of articles
// (see withoutCounts).
func tagsWithoutCounts(tags []render.Tag) []render.Tag {
	out := slices.Clone(tags)
	for i := range out {
		out[i].Count = 0
	}
	return out
}

// withoutCounts returns a copy of view with no counts of articles in its
// languages, for pages whose template names no Count
// (render.Templates.Refers). Such a page is given none, so that neither
// it nor its key in the build cache depends on them, and an article added
// or removed, which moves them, does not make it again.
func withoutCounts(view *render.Site) *render.Site {
	v := *view
	v.Languages = slices.Clone(view.Languages)
	for i := range v.Languages {
		v.Languages[i].Count = 0
	}
	return &v
}

func byUpdated(a, b *Page) int {
	return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), strings.Compare(a.URL, b.URL))
}

func (s *Site) langName(code string) string {
	for _, l := range s.Config.Languages {
		if l.Code == code {
			return l.Name
		}
	}
	return code
}

// writeArticle renders one article page.
func (s *Site) writeArticle(w output, tpl *render.Templates, view *render.Site, p *Page) error {
	data := render.ArticlePage{
		Page:           s.page(view, "article", p.Lang, p.Title, p.URL),
		ArticleSummary: s.summary(p),
		Source:         p.Path,
	}
	if !tpl.Refers("article.html", "Count") {
		// The page shows no count of articles (see withoutCounts), nor
		// does its key (pageDeps): an article added or removed does
		// not make every other article's page again.
		data.Page.Site = withoutCounts(view)
		data.Tags = tagsWithoutCounts(data.Tags)
	}
	data.Description = cmp.Or(p.ErrorText, p.Title)
	data.Breadcrumbs = append(data.Breadcrumbs, render.Link{Title: s.langName(p.Lang), URL: view.BasePath + p.Lang + "/"})
	targets := s.linkTargets(p)
	for i, h := range p.Doc.Headings {
		if h.Level == 2 || h.Level == 3 {
			data.TOC = append(data.TOC, render.Heading{Level: h.Level, Text: h.Text, ID: h.ID})
		}
		if h.Level != 2 || !s.Config.Schema.Related(p.Lang, h.Text) {
			continue
		}
		for j, l := range p.Doc.Links {
			if l.In != i || l.Image {
				continue
			}
			t := targets[j]
			if t.broken {
				continue
			}
			data.Related = append(data.Related, render.Link{Title: l.Text, URL: t.href})
		}
	}
	// The body, Markdown rendered and highlighted, is most of a build's
	// work: it is made only if the page is wanted and not in the cache.
	extra := func() []byte { return s.articleInputs(p) }
	return w.lazyPage(tpl, p.URL+"index.html", "article.html", data, extra, func() (any, error) {
		// The body is rendered into a pooled buffer and copied out once,
		// at its final size, rather than grown afresh for every page.
		doc, err := s.renderable(p)
		if err != nil {
			return nil, err
		}
		t := time.Now()
		body := pageBuffers.Get().(*bytes.Buffer)
		defer pageBuffers.Put(body)
		body.Reset()
		err = doc.Render(body, func(dest string) string { return s.resolve(p, dest).href })
		s.work.add(kindRender, t)
		if err != nil {
			return nil, err
		}
		data.Body = template.HTML(body.String())
		return data, nil
	})
}

// writeList writes the list page lp, at rel (relative to the base, ending
// in "/"), with articles, already in list order. Up to Config.Paginate
// articles go on the page at rel; a longer list is split into pages of
// that size, page n ≥ 2 at rel+"page/<n>/" (Hugo's layout, so links and
// habits carry over), each with its own URL and canonical URL, a pager,
// and otherwise lp's fields. There is no page/1/: the first page has one
// URL only, the list's own, which every other page links to. A Config
// not made from DefaultConfig, with no page size, pages nothing.
//
// The home, tags and codes pages are not paged: the home page shows only
// Config.Feed recent articles, and the tags and codes indexes list one line
// per tag or code rather than articles.
func (s *Site) writeList(w output, tpl *render.Templates, view *render.Site, lp render.ListPage, rel string, articles []render.ArticleSummary) error {
	size := s.Config.Paginate
	if size < 1 || len(articles) <= size {
		lp.Articles = articles
		return w.page(tpl, rel+"index.html", "list.html", lp)
	}
	pages := (len(articles) + size - 1) / size
	pageRel := func(n int) string {
		if n == 1 {
			return rel
		}
		return rel + "page/" + strconv.Itoa(n) + "/"
	}
	url := func(n int) string { return view.BasePath + pageRel(n) }
	for n := 1; n <= pages; n++ {
		p := lp
		p.Articles = articles[(n-1)*size : min(n*size, len(articles))]
		p.Pager = render.NewPager(n, pages, len(articles), size, url)
		if n > 1 {
			own := s.page(view, lp.Kind, lp.Lang, lp.Title, pageRel(n))
			p.URL, p.Canonical = own.URL, own.Canonical
		}
		if err := w.page(tpl, pageRel(n)+"index.html", "list.html", p); err != nil {
			return err
		}
	}
	return nil
}

// writeLists writes the home, language, tag, code, search and 404 pages.
func (s *Site) writeLists(w output, tpl *render.Templates, view *render.Site, sums summaryList) error {
	first := s.Config.Languages[0].Code
	recent := sums.of(s.Articles, s.Config.Feed)
	var tagNames []string
	display := make(map[string]string) // slug → the first spelling met, by URL order
	for _, p := range s.Articles {
		for _, t := range p.Tags {
			if _, ok := display[slug(t)]; !ok {
				display[slug(t)] = t
				tagNames = append(tagNames, t)
			}
		}
	}
	var tags []render.Tag
	for _, t := range tagNames {
		tags = append(tags, s.tagView(t))
	}
	slices.SortFunc(tags, func(a, b render.Tag) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Name, b.Name))
	})

	// Each job writes one list (all its pages) or one single page; they
	// are independent, and writePageJobs runs them in parallel where the
	// output allows.
	var jobs []func() error
	add := func(job func() error) { jobs = append(jobs, job) }

	home := render.ListPage{Page: s.page(view, "home", first, view.Title, ""), Articles: recent, Tags: tags}
	home.Description = view.Title
	add(func() error { return w.page(tpl, "index.html", "home.html", home) })

	// A page whose template names no Count is given no counts (see
	// withoutCounts): at 10,000 articles, an article added made all
	// 12,400 lists of a language, a tag or a code again (list.html).
	zview, zsums, ztags := withoutCounts(view), sums.withoutCounts(), tagsWithoutCounts(tags)
	pick := func(name string) (*render.Site, summaryList, []render.Tag) {
		if tpl.Refers(name, "Count") {
			return view, sums, tags
		}
		return zview, zsums, ztags
	}
	lview, lsums, _ := pick("list.html")
	for _, l := range s.Config.Languages {
		add(func() error {
			var pages []*Page
			for _, p := range s.Articles {
				if p.Lang == l.Code {
					pages = append(pages, p)
				}
			}
			lp := render.ListPage{Page: s.page(lview, "lang", l.Code, l.Name, l.Code+"/"), Heading: l.Name}
			return s.writeList(w, tpl, lview, lp, l.Code+"/", lsums.of(pages, -1))
		})
	}

	tagsPage := render.IndexPage{Page: s.page(view, "tags", first, "Tags", "tags/"), Tags: tags}
	add(func() error { return w.page(tpl, "tags/index.html", "tags.html", tagsPage) })
	for _, t := range tags {
		add(func() error {
			sl := slug(t.Name)
			tp := render.ListPage{Page: s.page(lview, "tag", first, t.Name, "tags/"+sl+"/"), Heading: t.Name}
			tp.Breadcrumbs = append(tp.Breadcrumbs, render.Link{Title: "Tags", URL: view.BasePath + "tags/"})
			return s.writeList(w, tpl, lview, tp, "tags/"+sl+"/", lsums.of(s.tags[sl], -1))
		})
	}

	var codes []errcode.Code
	for c := range s.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	codesPage := render.IndexPage{Page: s.page(view, "codes", first, "Error codes", "codes/")}
	for _, c := range codes {
		pages := slices.Clone(s.codes[c])
		slices.SortFunc(pages, byUpdated)
		codesPage.Codes = append(codesPage.Codes, render.CodeEntry{Code: s.codeView(c), ErrorText: pages[0].ErrorText, Count: len(pages)})
		add(func() error {
			cp := render.ListPage{
				Page:    s.page(lview, "code", first, string(c), "codes/"+string(c)+"/"),
				Heading: string(c),
				Intro:   pages[0].ErrorText,
			}
			cp.Description = string(c) + ": " + pages[0].ErrorText
			cp.Breadcrumbs = append(cp.Breadcrumbs, render.Link{Title: "Error codes", URL: view.BasePath + "codes/"})
			return s.writeList(w, tpl, lview, cp, "codes/"+string(c)+"/", lsums.of(pages, -1))
		})
	}
	add(func() error { return w.page(tpl, "codes/index.html", "codes.html", codesPage) })

	sview, _, stags := pick("search.html")
	if !tpl.Refers("search.html", "Tags") {
		stags = nil // the default shows none: not made again for their order
	}
	sp := render.ListPage{Page: s.page(sview, "search", first, "Search", "search/"), Tags: stags}
	add(func() error { return w.page(tpl, "search/index.html", "search.html", sp) })
	nview, nsums, _ := pick("404.html")
	nf := render.ListPage{Page: s.page(nview, "404", first, "Page not found", "404.html"), Articles: nsums.of(s.Articles, s.Config.Feed)}
	add(func() error { return w.page(tpl, "404.html", "404.html", nf) })
	return writePageJobs(w, jobs)
}

// writePageJobs runs jobs, each of which writes pages to w, and returns the
// first error in job order. The build's writer is safe for concurrent use,
// and a site has a list page for every tag and every error code (some
// 12,000 at 10,000 articles), so there the jobs run in parallel, and none
// starts after one has failed. Other outputs (a capture, memory) get them
// one at a time, in order, up to the first error.
func writePageJobs(w output, jobs []func() error) error {
	bw, ok := w.(*writer)
	if !ok {
		for _, job := range jobs {
			if err := job(); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(jobs))
	var failed atomic.Bool
	bw.work.parallel(len(jobs), func(i int) {
		if failed.Load() {
			return
		}
		if errs[i] = jobs[i](); errs[i] != nil {
			failed.Store(true)
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
