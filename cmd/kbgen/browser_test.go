package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kbgen/kbgen/internal/webtest"
)

// buildRepoSite builds the repository's own content/ into a temporary
// directory with the real CLI and returns the output directory.
func buildRepoSite(t *testing.T, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	var stderr bytes.Buffer
	args := append([]string{"build", "-root", "../..", "-out", out, "-quiet"}, extra...)
	if code := run(context.Background(), args, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("kbgen build exited %d:\n%s", code, stderr.String())
	}
	return out
}

// TestBrowserSearchByCode types each written form of a code into the search
// box of the published site in headless Chromium, expects an article that
// carries the code as the first result, presses Enter and expects to land
// on it.
func TestBrowserSearchByCode(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	base := webtest.Serve(t, buildRepoSite(t))
	for _, q := range []string{"0xC004F074", "c004f074", "０ｘＣ００４Ｆ０７４", "-1073418124", "0x80070005", "ライセンス認証"} {
		t.Run(q, func(t *testing.T) {
			tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			err := chromedp.Do(tctx,
				chromedp.Navigate(base+"/"),
				chromedp.WaitVisible(`input[type=search]`),
				chromedp.SendKeys(`input[type=search]`, q),
				chromedp.WaitVisible(`#search-results a`),
				webtest.SearchResults(),
			)
			if err != nil {
				t.Fatalf("typing %q: %v", q, err)
			}
			href, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector('#search-results a').getAttribute('href')`))
			if err != nil {
				t.Fatal(err)
			}
			wantCode := strings.ToLower(map[string]string{"c004f074": "0xc004f074", "０ｘＣ００４Ｆ０７４": "0xc004f074", "-1073418124": "0xc004f074", "ライセンス認証": "0xc004f074"}[q])
			if wantCode == "" {
				wantCode = strings.ToLower(q)
			}
			if !strings.Contains(href, wantCode) {
				t.Errorf("first result for %q links to %q, want an article carrying %s", q, href, wantCode)
			}
			if err := chromedp.Do(tctx, chromedp.SendKeys(`input[type=search]`, "\r")); err != nil {
				t.Fatal(err)
			}
			var loc string
			for range 50 {
				loc, err = chromedp.Run(tctx, chromedp.Location())
				if err == nil && strings.HasSuffix(loc, href) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if !strings.HasSuffix(loc, href) {
				t.Errorf("after Enter the browser is at %q, want %q", loc, href)
			}
			// The location changes before the new document is ready.
			if err := chromedp.Do(tctx, chromedp.WaitVisible(`h1`)); err != nil {
				t.Fatal(err)
			}
			title, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector('h1').textContent`))
			if err != nil || !strings.Contains(strings.ToLower(title), wantCode[2:]) && q != "ライセンス認証" {
				t.Errorf("article title = %q (%v), want one naming %s", title, err, wantCode)
			}
		})
	}
}

// TestBrowserSubpath builds for a subpath base URL and checks that the
// article page's stylesheet and search work when served there.
func TestBrowserSubpath(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	out := buildRepoSite(t, "-base-url", "http://127.0.0.1/kb/")
	root := t.TempDir()
	if err := os.Rename(out, filepath.Join(root, "kb")); err != nil {
		t.Fatal(err)
	}
	base := webtest.Serve(t, root)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(tctx,
		chromedp.Navigate(base+"/kb/"),
		chromedp.WaitVisible(`input[type=search]`),
		chromedp.SendKeys(`input[type=search]`, "0x800F0922"),
		chromedp.WaitVisible(`#search-results a`),
		webtest.SearchResults(),
	)
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector('#search-results a').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(href, "/kb/ja/") || !strings.Contains(href, "0x800f0922") {
		t.Errorf("first result under /kb/ = %q, want /kb/ja/…0x800f0922…", href)
	}
	styled, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`document.styleSheets.length > 0 && [...document.styleSheets].every(s => s.cssRules.length > 0)`))
	if err != nil || !styled {
		t.Errorf("stylesheets not loaded under /kb/ (%v)", err)
	}
}

// TestBrowserSearchHosts searches the published site served as two kinds
// of static host serve the compressed search files (*.json.gz): as they
// are, which search.js decompresses, and with Content-Encoding: gzip, as
// Apache does with AddEncoding, which the browser decodes before
// search.js sees the bytes. Both must find the article by its code and by
// Japanese words.
func TestBrowserSearchHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	out := buildRepoSite(t)
	static := webtest.StaticHandler(out)
	for _, host := range []struct {
		name     string
		encoding string // Content-Encoding of .gz files
	}{
		{"as files", ""},
		{"Content-Encoding gzip", "gzip"},
	} {
		t.Run(host.name, func(t *testing.T) {
			var gz atomic.Int32
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, ".json.gz") {
					gz.Add(1)
					if host.encoding != "" {
						w.Header().Set("Content-Encoding", host.encoding)
						w.Header().Set("Content-Type", "application/json")
					}
				}
				static.ServeHTTP(w, r)
			})}
			go srv.Serve(ln)
			defer srv.Close()
			for _, q := range []string{"c004f074", "ライセンス認証"} {
				tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := chromedp.Do(tctx,
					chromedp.Navigate("http://"+ln.Addr().String()+"/"),
					chromedp.WaitVisible(`input[type=search]`),
					chromedp.SendKeys(`input[type=search]`, q),
					chromedp.WaitVisible(`#search-results a.sr`),
					webtest.SearchResults(),
				)
				if err != nil {
					cancel()
					t.Fatalf("%q: %v", q, err)
				}
				href, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector('#search-results a.sr').getAttribute('href')`))
				cancel()
				if err != nil || !strings.Contains(href, "0xc004f074") {
					t.Errorf("%q: first result %q (%v), want the 0xC004F074 article", q, href, err)
				}
			}
			if gz.Load() == 0 {
				t.Error("no .json.gz file was fetched")
			}
		})
	}
}

// TestBrowserCodeCards holds back every document file (d/) of the search
// export and types a code: its result must be shown from the card in the
// code bucket alone, title and link, without a snippet; once the
// documents are let through, the snippet follows and search.js reports
// the search complete.
func TestBrowserCodeCards(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	static := webtest.StaticHandler(buildRepoSite(t))
	release := make(chan struct{})
	var held, codeFiles atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/d/"):
			held.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		case strings.Contains(r.URL.Path, "/c/"):
			codeFiles.Add(1)
		}
		static.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = chromedp.Do(tctx,
		chromedp.Navigate("http://"+ln.Addr().String()+"/"),
		chromedp.WaitVisible(`input[type=search]`),
		// Pasted, not typed: the prefixes a typist's keystrokes search
		// would hold back documents of their own, and the browser's six
		// connections to the host with them.
		chromedp.Evaluate[chromedp.Void](`document.addEventListener("kbgen:search", () => { window.searched = true; });
			window.searched = false;
			const input = document.querySelector("input[type=search]");
			input.value = "0xC004F074";
			input.dispatchEvent(new Event("input", { bubbles: true }));`),
		chromedp.WaitVisible(`#search-results a.sr`),
	)
	if err != nil {
		t.Fatalf("no result shown while the documents were held back: %v", err)
	}
	type view struct {
		Href     string `json:"href"`
		Title    string `json:"title"`
		Snippet  string `json:"snippet"`
		Searched bool   `json:"searched"`
	}
	const look = `(() => { const a = document.querySelector('#search-results a.sr');
		return { href: a.getAttribute('href'), title: a.querySelector('.sr-title').textContent,
			snippet: a.querySelector('.sr-snip').textContent, searched: window.searched }; })()`
	v, err := chromedp.Run(tctx, chromedp.Evaluate[view](look))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.Href, "0xc004f074") || !strings.Contains(v.Title, "0xC004F074") {
		t.Errorf("result shown from the card: %+v, want the 0xC004F074 article and its title", v)
	}
	if v.Snippet != "" || v.Searched {
		t.Errorf("before its document arrived the result has snippet %q and kbgen:search = %v, want neither", v.Snippet, v.Searched)
	}
	if held.Load() == 0 || codeFiles.Load() == 0 {
		t.Errorf("%d document and %d code bucket requests, want both", held.Load(), codeFiles.Load())
	}
	close(release)
	if err := chromedp.Do(tctx, chromedp.Poll[chromedp.Void](`window.searched`)); err != nil {
		t.Fatalf("kbgen:search after the documents arrived: %v", err)
	}
	v, err = chromedp.Run(tctx, chromedp.Evaluate[view](look))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.Href, "0xc004f074") || v.Snippet == "" {
		t.Errorf("complete result: %+v, want the 0xC004F074 article with a snippet", v)
	}
}
