//go:build unix

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kbgen/kbgen/internal/corpus"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/webtest"
)

// A query is what the browser measurement searches for, and how to tell a
// right first result.
type query struct {
	name string
	text string
	want []string // slugs of the articles carrying the code; empty for text
}

// benchQueries returns the queries measured at each size: a code the
// corpus carries, as written and as a reader might type it, and a
// Japanese two-word query.
func benchQueries(m corpus.Manifest) []query {
	codes := make([]errcode.Code, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var qs []query
	if len(codes) > 0 {
		c := codes[len(codes)/2]
		var slugs []string
		for _, p := range m[c] {
			slugs = append(slugs, strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], ".md"))
		}
		qs = append(qs,
			query{"code", string(c), slugs},
			query{"code, lower case, no 0x", strings.ToLower(string(c)[2:]), slugs})
	}
	return append(qs, query{"Japanese, two words", "ライセンス認証 時刻同期", nil})
}

// searchRun is one query measured in headless Chromium on a cold cache.
type searchRun struct {
	ms      float64 // from the query reaching the search to its first results shown
	done    float64 // to the first ten results complete, if later (kbgen: with their snippets)
	bytes   int64   // search data sent: response bodies
	files   int     // search data files fetched
	code    int64   // search code fetched during the query (Pagefind's worker and WebAssembly), not in bytes
	results int
	first   string // URL of the first result
	err     error
}

// right reports whether the first result is one of the articles q wants,
// or q wants none in particular.
func (r searchRun) right(q query) bool {
	if len(q.want) == 0 {
		return r.results > 0
	}
	return slices.ContainsFunc(q.want, func(slug string) bool { return strings.Contains(r.first, slug) })
}

// settleJS waits a second after the page has loaded, as a reader does
// before a query is typed: right after the load event the browser is
// still busy with the page (on this machine a query then took 300 ms
// instead of 60), which is the page's cost, not the search's.
const settleJS = `await new Promise((r) => setTimeout(r, 1000));`

// kbgenSearchJS types a query into the search box of a kbgen page at once,
// as a paste would, and resolves when the results are complete: search.js
// dispatches kbgen:search after rendering them. Two times are taken: when
// the first result is in the list, and when the list is complete. They
// differ for a code query, whose results search.js shows from the cards
// in the code bucket and completes with snippets from the documents' own
// files. The input is not focused; search.js fetches its entry when the
// page goes idle, within the second settleJS waits, so the time covers
// the files the query itself needs.
const kbgenSearchJS = `(async (q) => {
  ` + settleJS + `
  const input = document.getElementById("search-input"), box = document.getElementById("search-results");
  const done = new Promise((res) => document.addEventListener("kbgen:search", (e) => res(e.detail), { once: true }));
  let shown = 0;
  const seen = new MutationObserver(() => { if (!shown && box.querySelector("a.sr")) shown = performance.now(); });
  seen.observe(box, { childList: true, subtree: true });
  const t0 = performance.now();
  input.value = q;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  const d = await done;
  const end = performance.now();
  seen.disconnect();
  const a = box.querySelector("a.sr");
  return { ms: (shown || end) - t0, done: end - t0, results: d.count, first: a ? a.getAttribute("href") : "" };
})`

// pagefindSearchJS searches with Pagefind's JavaScript API, as its UI
// does: pagefind.js is loaded first (the page's script, as search.js is
// for kbgen), a second passes, then the time runs from the query to the data of the first
// ten results, which includes starting Pagefind's worker and its
// WebAssembly module.
const pagefindSearchJS = `(async (q) => {
  const pf = await import("/pagefind/pagefind.js");
  ` + settleJS + `
  const t0 = performance.now();
  const s = await pf.search(q);
  const top = await Promise.all(s.results.slice(0, 10).map((r) => r.data()));
  const ms = performance.now() - t0;
  return { ms, results: s.results.length, first: top.length ? top[0].url : "" };
})`

// Which of the files a search fetched are its data and which are code:
// the bytes counted are the data, below the search directory; scripts and
// WebAssembly are code, like search.js, and are counted apart.
func isSearchData(path string) bool {
	return (strings.HasPrefix(path, "/search/") || strings.HasPrefix(path, "/pagefind/")) && !isSearchCode(path)
}

func isSearchCode(path string) bool {
	return strings.HasPrefix(path, "/pagefind/") && (strings.HasSuffix(path, ".js") || strings.Contains(path, "/wasm."))
}

// sentBytes serves a directory like a static host and counts the bytes of
// the response bodies it sends, by path. The count is taken at the server
// because Pagefind fetches its index from a web worker, whose requests
// the page's Resource Timing does not list.
type sentBytes struct {
	h  http.Handler
	mu sync.Mutex
	by map[string]int64
}

func (s *sentBytes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &countingWriter{ResponseWriter: w}
	s.h.ServeHTTP(cw, r)
	s.mu.Lock()
	s.by[r.URL.Path] += cw.n
	s.mu.Unlock()
}

// take returns the counts so far and starts again from zero.
func (s *sentBytes) take() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := s.by
	s.by = make(map[string]int64)
	return by
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// browserSearches serves dir on 127.0.0.1 and measures each query in its
// own headless Chromium with a fresh profile, so each starts from a cold
// cache, after loading page (a path on the site). script is
// kbgenSearchJS or pagefindSearchJS.
func browserSearches(t *testing.T, dir, page, script string, qs []query) []searchRun {
	if webtest.ChromiumPath() == "" {
		t.Log("chromium is not installed: search is not measured")
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sent := &sentBytes{h: webtest.StaticHandler(dir), by: make(map[string]int64)}
	srv := &http.Server{Handler: sent, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + page
	var out []searchRun
	for _, q := range qs {
		r := browserSearch(t, url, script, q.text, sent)
		if r.err != nil {
			t.Logf("search %q on %s: %v", q.text, dir, r.err)
		}
		out = append(out, r)
	}
	return out
}

// jsRun is what kbgenSearchJS and pagefindSearchJS return.
type jsRun struct {
	Ms      float64 `json:"ms"`
	Done    float64 `json:"done"`
	Results int     `json:"results"`
	First   string  `json:"first"`
}

func browserSearch(t *testing.T, url, script, q string, sent *sentBytes) searchRun {
	r := searchRun{err: errors.New("not run")}
	t.Run("chromium", func(t *testing.T) {
		ctx := webtest.Browser(t)
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, chromedp.Navigate(url)); err != nil {
			r.err = err
			return
		}
		sent.take() // the page and its scripts
		arg, _ := json.Marshal(q)
		got, err := chromedp.Run(tctx, chromedp.Evaluate[jsRun](script+"("+string(arg)+")", chromedp.EvalAwaitPromise))
		if err != nil {
			r.err = err
			return
		}
		r = searchRun{ms: got.Ms, done: got.Done, results: got.Results, first: got.First}
		for path, n := range sent.take() {
			switch {
			case isSearchData(path):
				r.bytes += n
				r.files++
			case isSearchCode(path):
				r.code += n
			}
		}
	})
	return r
}

// searchCell formats a run for the table: time, kilobytes, files, and
// whether the first result was right.
func searchCell(r *searchRun, q query) string {
	switch {
	case r == nil:
		return "n/a"
	case r.err != nil:
		return "failed"
	}
	mark := "right first"
	if !r.right(q) {
		mark = fmt.Sprintf("first: %s", r.first)
		if r.results == 0 {
			mark = "no results"
		}
	}
	ms := fmt.Sprintf("%.0f ms", r.ms)
	if r.done > r.ms+0.5 {
		ms += fmt.Sprintf(" (complete %.0f ms)", r.done)
	}
	return fmt.Sprintf("%s, %.1f KB in %d files, %d results, %s", ms, float64(r.bytes)/1024, r.files, r.results, mark)
}
