// Package webtest runs end-to-end tests of a built site: it serves a
// directory over real HTTP on 127.0.0.1, as static hosting would, and drives
// a real headless Chromium against it with chromedp.
//
// Browser tests skip when Chromium is not installed, unless the CI
// environment variable is set, in which case a missing browser is a failure:
// CI must run them (.ci/run installs Debian's chromium).
package webtest

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Serve serves dir on a fresh port of 127.0.0.1 until the test ends, with
// dir/404.html for missing files as GitHub Pages, S3 and nginx are usually
// set up to do. It returns the base URL, "http://127.0.0.1:port".
func Serve(t testing.TB, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: StaticHandler(dir), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// StaticHandler serves dir like a static host: files and directory
// index.html, and 404.html with status 404 for anything else.
func StaticHandler(dir string) http.Handler {
	fsrv := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := http.Dir(dir).Open(r.URL.Path)
		if err == nil {
			f.Close()
			fsrv.ServeHTTP(w, r)
			return
		}
		page, err := os.ReadFile(dir + "/404.html")
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write(page)
	})
}

// ChromiumPath returns the browser's path, or "" if none is installed.
func ChromiumPath() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Browser starts headless Chromium for the test and returns a context for
// chromedp.Run. The browser and its fresh profile directory go away when
// the test ends.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first Do starts the browser, which lives as long as this
	// context: it must carry no timeout (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// SearchResults waits until the header's search drop-down shows the
// results of the whole query in the search box. chromedp.SendKeys types
// a query key by key, and the results of a prefix of it may show first:
// a test that read the first result once one was visible saw, for
// "０ｘＣ００４Ｆ０７４", an article of another code, found for part of
// it. The drop-down's last link, to the search page, carries the query
// its results are for.
func SearchResults() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		const all = document.querySelector("#search-results a.sr-all"), input = document.getElementById("search-input");
		return !!all && !!input && new URL(all.href, location.href).searchParams.get("q") === input.value;
	})()`)
}
