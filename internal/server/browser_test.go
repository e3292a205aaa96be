package server

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kbgen/kbgen/internal/webtest"
)

// TestBrowserLiveReload drives headless Chromium against a running dev
// server on a copy of the repository's content: the open article reloads
// by itself when its file changes on disk, shows the error page with file
// and line when the file is broken, and shows the article again when it is
// fixed. Search works as on the published site, and a query typed before
// the server's first search export is ready waits for it.
func TestBrowserLiveReload(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	bctx := webtest.Browser(t)
	root := copySite(t)
	// Serve makes the first search export, held here until a search
	// has been made while it was not ready.
	held, release := make(chan struct{}), make(chan struct{})
	testHookUpdated = func() {
		select {
		case <-held:
		default:
			close(held)
		}
		<-release
	}
	let := sync.OnceFunc(func() { close(release) })
	defer func() {
		let() // before the server is closed, which waits for the export
		testHookUpdated = func() {}
	}()
	s := newServerOnly(t, root, &bytes.Buffer{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	// until evaluates js (a boolean expression) until it holds.
	until := func(what, js string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
				t.Fatalf("%s: not within 15s (%v); page text:\n%s", what, err, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Search, as on the published site, typed before the server's first
	// export is ready: the script waits for it (the entry answers 503
	// meanwhile) and shows the results once it is.
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("Serve made no search export within 30 s")
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`input[type=search]`),
		chromedp.SendKeys(`input[type=search]`, "0x80070005"),
	)
	if err != nil {
		t.Fatalf("search in serve mode: %v", err)
	}
	until("the search asks for the entry again", `performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/search/index.json")).length >= 2`)
	let()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#search-results a`), webtest.SearchResults()); err != nil {
		t.Fatalf("search in serve mode, once the export is ready: %v", err)
	}
	href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#search-results a').getAttribute('href')`))
	if !strings.Contains(href, "0x80070005") {
		t.Errorf("first search result for 0x80070005 is %q", href)
	}

	page := base + "/ja/kms-activation-0xc004f074/"
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`h1`)); err != nil {
		t.Fatal(err)
	}
	// A mark that only a reload clears: it proves the page was loaded
	// again, not patched.
	mark := func() {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.kbgenTestMark = true`)); err != nil {
			t.Fatal(err)
		}
	}
	mark()
	time.Sleep(500 * time.Millisecond) // for the page's event stream to connect

	good := readFile(t, root, article)
	changed := strings.Replace(good, `title: "Windows のライセンス認証に失敗 0xC004F074"`, `title: "ライセンス認証 0xC004F074 改訂版"`, 1)
	if changed == good {
		t.Fatal("the test article's title is not what the test expects")
	}
	writeFile(root, article, changed)
	until("the page reloads with the new title", `!window.kbgenTestMark && document.querySelector("h1") && document.querySelector("h1").textContent.includes("改訂版")`)
	mark()

	broken := strings.Replace(good, `updatedAt: "2025-11-03T09:11:56.107Z"`, `updatedAt: "2025/11/03"`, 1)
	writeFile(root, article, broken)
	until("the error page shows the file and line", `!window.kbgenTestMark && document.getElementById("kbgen-error") !== null && document.body.innerText.includes("content/ja/kms-activation-0xc004f074.md:5:12: error: updatedAt")`)
	mark()

	writeFile(root, article, good)
	until("the article is back", `!window.kbgenTestMark && document.getElementById("kbgen-error") === null && document.querySelector("h1") && document.querySelector("h1").textContent.includes("Windows のライセンス認証に失敗")`)
}
