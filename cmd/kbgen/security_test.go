package main

// No script injection (issue 7, part 2). testdata/hostile is a site whose
// one article carries script in every place an author controls: title,
// errorText, tags, headings, body (raw HTML, event handlers, javascript:,
// vbscript:, data: and file: URLs, autolinks, link and image titles,
// reference definitions, tables, task lists) and code blocks (info string
// and body). Every payload, if it ever ran, would set window.__pwned or call
// alert. The tests build that site with the real CLI and look at every page
// it produces, first as files, then in headless Chromium.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kbgen/kbgen/internal/webtest"
)

// hostileCode is the error code the hostile article carries: its code page
// is /codes/0x8BADF00D/ and searching for it finds the article.
const hostileCode = "0x8BADF00D"

// buildHostile copies testdata/hostile to a temporary site root, adds
// config to its kbgen.yaml, builds it with the CLI and returns the output
// directory.
func buildHostile(t *testing.T, config string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "hostile"))); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		f, err := os.OpenFile(filepath.Join(root, "kbgen.yaml"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(config + "\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	out := filepath.Join(root, "public")
	runCLI(t, "build", "-root", root, "-quiet")
	return out
}

// TestHostileFiles reads every HTML page of the hostile site as written
// and wants no markup an author put there: every script element is the
// site's own, no element has an event-handler attribute, no URL attribute
// holds a script or document URL, and no raw-HTML element of the article
// got through. It needs no browser, so it runs everywhere, -short too.
func TestHostileFiles(t *testing.T) {
	out := buildHostile(t, "")
	var pages int
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pages++
		rel, _ := filepath.Rel(out, p)
		for _, problem := range auditTags(scanTags(data)) {
			t.Errorf("%s: %s", rel, problem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The article, its five tag pages, the tag and code indexes, the code
	// page, home, the language homes, search and 404.
	if pages < 12 {
		t.Errorf("the hostile site has %d pages, want at least 12", pages)
	}

	// The feed and the OpenSearch description carry the title and the
	// errorText too: as text (Atom's default type), escaped.
	for _, name := range []string{"feed.xml", "opensearch.xml", "sitemap.xml"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "<img", "<svg", `type="html"`, `type="xhtml"`, "javascript:"} {
			if bytes.Contains(data, []byte(bad)) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}

	// The control: with unsafeHTML: true the article's raw HTML is
	// published, and the audit must see it.
	unsafe := buildHostile(t, "unsafeHTML: true")
	data, err := os.ReadFile(filepath.Join(unsafe, "en", "hostile-"+strings.ToLower(hostileCode), "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(auditTags(scanTags(data)), "\n")
	for _, want := range []string{"#raw-html-probe", "<iframe>", "<div onmouseover="} {
		if !strings.Contains(problems, want) {
			t.Errorf("with unsafeHTML: true the audit does not report %q; it reports:\n%s", want, problems)
		}
	}
}

// auditTags returns what is wrong with a page's start tags (see
// TestHostileFiles).
func auditTags(tags []htmlTag) []string {
	var problems []string
	for _, tag := range tags {
		for name, v := range tag.attrs {
			if strings.HasPrefix(name, "on") {
				problems = append(problems, fmt.Sprintf("<%s %s=%q>: an event handler", tag.name, name, v))
			}
			switch name {
			case "href", "src", "action", "formaction", "srcset", "poster", "xlink:href", "data":
				if scriptURL(v) {
					problems = append(problems, fmt.Sprintf("<%s %s=%q>: a script or document URL", tag.name, name, v))
				}
			}
		}
		switch tag.name {
		case "script":
			// The site's own: its assets, and the inline theme snippet
			// of base.html (which has no src).
			if src, ok := tag.attrs["src"]; ok && !strings.Contains(src, "/assets/") {
				problems = append(problems, fmt.Sprintf("<script src=%q>: not a site asset", src))
			}
		case "iframe", "object", "embed", "frame", "frameset", "base", "svg", "math", "style", "form", "input", "button", "textarea", "select":
			// None of these is written by the templates or the
			// renderer in the article's place; forms and inputs are,
			// in the header: the search form, its input.
			if !(tag.name == "form" && tag.attrs["role"] == "search") && !(tag.name == "input" && tag.attrs["type"] == "search") &&
				!(tag.name == "input" && tag.attrs["type"] == "checkbox" && hasAttr(tag, "disabled")) {
				problems = append(problems, fmt.Sprintf("<%s>: an element an author wrote", tag.name))
			}
		case "p", "div", "a":
			if tag.attrs["id"] == "raw-html-probe" {
				problems = append(problems, "raw HTML of the article got through (#raw-html-probe)")
			}
		}
	}
	return problems
}

func hasAttr(tag htmlTag, name string) bool { _, ok := tag.attrs[name]; return ok }

// scriptURL reports whether v, an attribute value, is a URL that runs
// script or loads a document inline: javascript:, vbscript:, or data: other
// than a raster image. Spaces and control characters are ignored, as URL
// parsers ignore them.
func scriptURL(v string) bool {
	var b strings.Builder
	for _, r := range v {
		if r > ' ' && r != 0x7f {
			b.WriteRune(r)
		}
	}
	s := strings.ToLower(b.String())
	switch {
	case strings.HasPrefix(s, "javascript:"), strings.HasPrefix(s, "vbscript:"):
		return true
	case strings.HasPrefix(s, "data:"):
		for _, ok := range []string{"data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"} {
			if strings.HasPrefix(s, ok) {
				return false
			}
		}
		return true
	}
	return false
}

// hookJS runs in every document before the page's own scripts. It turns
// window.__pwned, the target of every payload, into a recorder, and records
// document.title set to anything containing PWNED.
const hookJS = `(() => {
  const hits = [];
  Object.defineProperty(window, "__pwnedHits", {value: hits});
  Object.defineProperty(window, "__pwned", {
    configurable: false,
    get() { return hits.length ? hits.join(",") : undefined; },
    set(v) { hits.push(String(v)); },
  });
  const title = Object.getOwnPropertyDescriptor(Document.prototype, "title");
  Object.defineProperty(document, "title", {
    get() { return title.get.call(this); },
    set(v) { if (String(v).includes("PWNED")) hits.push("title:" + v); title.set.call(this, v); },
  });
})()`

// auditJS inspects the live DOM, after the page's own script has run, in
// the way auditTags inspects the files, and returns the problems.
const auditJS = `(() => {
  const out = [];
  const scriptURL = (v) => {
    const s = v.replace(/[\u0000-\u0020\u007f]/g, "").toLowerCase();
    return s.startsWith("javascript:") || s.startsWith("vbscript:") ||
      (s.startsWith("data:") && !/^data:image\/(png|gif|jpeg|webp)[;,]/.test(s));
  };
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on")) out.push("<" + el.localName + " " + a.name + ">: an event handler");
      if (["href", "src", "action", "formaction", "srcset", "xlink:href", "data"].includes(a.name) && scriptURL(a.value))
        out.push("<" + el.localName + " " + a.name + "=" + JSON.stringify(a.value) + ">: a script URL");
    }
  }
  for (const s of document.scripts) {
    if (s.src && !new URL(s.src).pathname.includes("/assets/")) out.push("script " + s.src + ": not a site asset");
    if (!s.src && /pwned|alert/.test(s.text)) out.push("inline script written by an author: " + s.text.slice(0, 80));
  }
  for (const el of document.querySelectorAll("iframe, object, embed, frame, base, #raw-html-probe"))
    out.push("<" + el.localName + (el.id ? "#" + el.id : "") + ">: written by an author");
  return out;
})()`

// TestHostileBrowser loads every page of the hostile site in headless
// Chromium, plus the search results (the header box and the search page)
// for the hostile article's code and for words of its payloads, and wants
// no payload to run: window.__pwned never set, no JavaScript dialog, no
// author markup in the live DOM, after load, after hovering every link and
// image and after clicking every link that the filter neutralised.
//
// The same article built with unsafeHTML: true is the control: its raw
// HTML reaches the page and its <script> runs, so the hooks do catch
// script when there is some.
func TestHostileBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	h := newHostileTab(t, ctx)

	out := buildHostile(t, "")
	base := webtest.Serve(t, out)
	var paths []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".html") {
			rel, _ := filepath.Rel(out, p)
			rel = "/" + strings.TrimSuffix(filepath.ToSlash(rel), "index.html")
			if rel == "/404.html" {
				rel = "/no/such/page/" + hostileCode + "/" // the 404 page searches the address for a code
			}
			paths = append(paths, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	article := "/en/hostile-" + strings.ToLower(hostileCode) + "/"
	if !slices.Contains(paths, article) {
		t.Fatalf("the hostile site has no %s; pages: %q", article, paths)
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			h.visit(t, base+p, "", "")
			h.hoverAll(t)
			if p == article {
				h.clickNeutralised(t, base+p)
			}
			h.check(t)
		})
	}
	// Search results show titles, codes, languages and snippets of the
	// article, built by search.js from the index.
	for _, q := range []string{hostileCode, "pwned", "onerror script", "svg onload"} {
		t.Run("search box "+q, func(t *testing.T) {
			h.visit(t, base+"/", q, "#search-results a.sr")
			h.hoverAll(t)
			h.check(t)
		})
		t.Run("search page "+q, func(t *testing.T) {
			h.visit(t, base+"/search/?q="+url.QueryEscape(q), "", "#search-page .sp-results a")
			h.hoverAll(t)
			h.check(t)
		})
	}

	t.Run("unsafeHTML control", func(t *testing.T) {
		out := buildHostile(t, "unsafeHTML: true")
		base := webtest.Serve(t, out)
		h.visit(t, base+article, "", "")
		hits, err := chromedp.Run(h.ctx, chromedp.Evaluate[[]string](`window.__pwnedHits`))
		if err != nil {
			t.Fatal(err)
		}
		probe, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](`!!document.getElementById("raw-html-probe")`))
		if err != nil {
			t.Fatal(err)
		}
		if !probe {
			t.Errorf("with unsafeHTML: true the article's raw HTML (#raw-html-probe) is missing: the switch does not work")
		}
		if !slices.Contains(hits, "block-script") {
			t.Errorf("with unsafeHTML: true the article's <script> did not run (hits %q): the hooks would miss script", hits)
		}
		if d := h.reset(); !slices.ContainsFunc(d, func(s string) bool { return strings.Contains(s, "raw-img") }) {
			t.Errorf("with unsafeHTML: true the article's alert did not open a dialog (dialogs %q): the listener would miss one", d)
		}
		// Links stay filtered even for trusted HTML.
		href, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".article-body a")].find(a => a.textContent === "plain javascript link").getAttribute("href")`))
		if err != nil || href != "#" {
			t.Errorf("with unsafeHTML: true the javascript: Markdown link has href %q (%v), want \"#\"", href, err)
		}
		h.reset()
	})
}

// hostileTab is a browser tab with the hooks installed and JavaScript
// dialogs recorded and dismissed.
type hostileTab struct {
	ctx context.Context

	mu      sync.Mutex
	dialogs []string
}

func newHostileTab(t *testing.T, ctx context.Context) *hostileTab {
	t.Helper()
	h := &hostileTab{ctx: ctx}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hookJS}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			h.mu.Lock()
			h.dialogs = append(h.dialogs, string(ev.Type)+": "+ev.Message)
			h.mu.Unlock()
			// The listener must not call the browser itself (see
			// chromedp.Listen); dismiss the dialog from elsewhere.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// visit loads u; types typed into the header search box if it is not
// empty; waits for ready to be visible if it is not empty, and then a
// little for images to fail and SVG to load.
func (h *hostileTab) visit(t *testing.T, u, typed, ready string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(u), chromedp.WaitReady(`body`)}
	if typed != "" {
		steps = append(steps, chromedp.WaitVisible(`#search-input`), chromedp.SendKeys(`#search-input`, typed))
	}
	if ready != "" {
		steps = append(steps, chromedp.WaitVisible(ready))
	}
	steps = append(steps, chromedp.Sleep(300*time.Millisecond))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("load %s (typed %q, waiting for %q): %v", u, typed, ready, err)
	}
}

// hoverAll moves the mouse over every link, image and code chip of the
// page, so that any injected mouseover handler would fire.
func (h *hostileTab) hoverAll(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
	defer cancel()
	const targets = `[...document.querySelectorAll("a, img, dd, h1, h2, td, code, li")].filter(e => e.getClientRects().length)`
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](targets+`.length`))
	if err != nil {
		t.Fatal(err)
	}
	for i := range min(n, 300) {
		xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
			const e = %s[%d];
			if (!e) return [];
			e.scrollIntoView({block: "center", inline: "center"});
			const r = e.getBoundingClientRect();
			return [r.left + r.width / 2, r.top + r.height / 2];
		})()`, targets, i)))
		if err != nil {
			t.Fatal(err)
		}
		if len(xy) != 2 {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1])); err != nil {
			t.Fatal(err)
		}
	}
}

// clickNeutralised clicks, with the mouse, every link of the article body
// whose destination the filter replaced with "#", reloading the page
// between clicks.
func (h *hostileTab) clickNeutralised(t *testing.T, u string) {
	t.Helper()
	const links = `[...document.querySelectorAll(".article-body a[href='#'], .article-body img[src='#']")]`
	n, err := chromedp.Run(h.ctx, chromedp.Evaluate[int](links+`.length`))
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Errorf("the article has %d neutralised links and images, want at least 8", n)
	}
	for i := range n {
		xy, err := chromedp.Run(h.ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
			const e = %s[%d];
			if (!e) return [];
			e.scrollIntoView({block: "center"});
			const r = e.getBoundingClientRect();
			return [r.left + Math.min(r.width / 2, 4), r.top + r.height / 2];
		})()`, links, i)))
		if err != nil {
			t.Fatal(err)
		}
		if len(xy) == 2 {
			if err := chromedp.Do(h.ctx, chromedp.MouseClickXY(xy[0], xy[1]), chromedp.Sleep(100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		h.check(t)
		h.visit(t, u, "", "")
	}
}

// check fails the test if a payload ran in the current document or opened
// a dialog since the last check, or if the live DOM holds author markup.
func (h *hostileTab) check(t *testing.T) {
	t.Helper()
	hits, err := chromedp.Run(h.ctx, chromedp.Evaluate[[]string](`window.__pwnedHits || ["hook missing"]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) > 0 {
		t.Errorf("script ran: window.__pwned set by %q", hits)
	}
	title, err := chromedp.Run(h.ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(title, "PWNED") {
		t.Errorf("document.title = %q", title)
	}
	problems, err := chromedp.Run(h.ctx, chromedp.Evaluate[[]string](auditJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	for _, d := range h.reset() {
		t.Errorf("a JavaScript dialog opened: %s", d)
	}
}

// reset forgets and returns the dialogs seen so far.
func (h *hostileTab) reset() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.dialogs
	h.dialogs = nil
	return d
}

// servedSite is a kbgen serve process started by startServe.
type servedSite struct {
	url    string // "http://127.0.0.1:port/"
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

// startServe runs bin serve -root root on a free loopback port and returns
// once it has printed its URL. The process is killed when the test ends if
// it is still running.
func startServe(t *testing.T, bin, root string, args ...string) *servedSite {
	t.Helper()
	s := &servedSite{stderr: &lockedBuffer{}}
	s.cmd = exec.Command(bin, append([]string{"serve", "-root", root, "-addr", "127.0.0.1:0"}, args...)...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.url = m[1]
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("kbgen serve printed no URL in 120 s:\n%s", s.stderr.String())
	return nil
}

// waitSearch waits until kbgen serve has made its first search export,
// which it makes in the background once it serves pages.
func (s *servedSite) waitSearch(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(120 * time.Second); !strings.Contains(s.stderr.String(), "search index ready in"); {
		if time.Now().After(deadline) {
			t.Fatalf("kbgen serve made no search export in 120 s:\n%s", s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var servingRE = regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+/\S*)`)

// stop sends sig and wants kbgen serve to exit 0 within 10 s.
func (s *servedSite) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kbgen serve after %v: %v\n%s", sig, err, s.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("kbgen serve still running 10 s after %v", sig)
		s.cmd.Process.Kill()
		<-done
	}
}

// lockedBuffer is a bytes.Buffer safe for a process writing and a test
// reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// rawGet sends path as written, unnormalised, in a GET request to the
// server at host and returns the status and body. Go's http.Client would
// clean the path first.
func rawGet(t *testing.T, host, target string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, "no response: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeTraversal starts kbgen serve on a copy of the hostile site with
// a secret file beside the site root and symbolic links out of content/,
// and asks for the secret and for /etc/passwd every way a path can climb:
// "..", percent-encoded and double-encoded dots and slashes, backslashes, a
// NUL, absolute-form request targets, symbolic links to a file and to a
// directory outside the tree. None may return the secret; all must fail
// with a 4xx status. It also wants the server on loopback only and a clean
// exit on SIGINT.
func TestServeTraversal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kbgen serve: skipped in -short mode")
	}
	bin := buildBinary(t)
	top := t.TempDir()
	root := filepath.Join(top, "site")
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "hostile"))); err != nil {
		t.Fatal(err)
	}
	const secret = "TOP-SECRET-8c1e0f"
	if err := os.WriteFile(filepath.Join(top, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	en := filepath.Join(root, "content", "en")
	for name, target := range map[string]string{
		"link.txt":     "../../../secret.txt", // content/en/link.txt → top/secret.txt
		"abs-link.txt": filepath.Join(top, "secret.txt"),
		"etc":          "/etc",
		"up":           "../../..",
	} {
		if err := os.Symlink(target, filepath.Join(en, name)); err != nil {
			t.Skipf("cannot make symbolic links: %v", err)
		}
	}
	s := startServe(t, bin, root)
	u, _ := url.Parse(s.url)
	if host, _, _ := net.SplitHostPort(u.Host); host != "127.0.0.1" {
		t.Errorf("kbgen serve listens on %s, want loopback only", u.Host)
	}
	// The page and a content file are served: the server works.
	if code, body := rawGet(t, u.Host, "/en/x.png"); code != 200 || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("GET /en/x.png = %d, want the image", code)
	}
	for _, target := range []string{
		"/../secret.txt",
		"/../../secret.txt",
		"/en/../../../secret.txt",
		"/%2e%2e/secret.txt",
		"/%2E%2E/%2E%2E/secret.txt",
		"/en/%2e%2e/%2e%2e/%2e%2e/secret.txt",
		"/..%2fsecret.txt",
		"/en/..%2f..%2f..%2fsecret.txt",
		"/%2e%2e%2f%2e%2e%2fsecret.txt",
		"/%252e%252e/secret.txt",
		"/..\\secret.txt",
		"/en\\..\\..\\..\\secret.txt",
		"/%5c..%5c..%5csecret.txt",
		"/en/x.png%00/../../../secret.txt",
		"/./../secret.txt",
		"//../secret.txt",
		"/en/link.txt",
		"/en/abs-link.txt",
		"/en/etc/passwd",
		"/en/up/secret.txt",
		"/en/up/site/kbgen.yaml",
		"/kbgen.yaml",
		"/content/en/hostile-0x8badf00d.md",
		"/en/hostile-0x8badf00d.md",
		"/../../../../../../etc/passwd",
		"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"http://127.0.0.1/../secret.txt",
		"http://127.0.0.1/%2e%2e/secret.txt",
		"/search/../../secret.txt",
		"/search/%2e%2e/%2e%2e/secret.txt",
	} {
		code, body := rawGet(t, u.Host, target)
		t.Logf("GET %s = %d", target, code)
		if strings.Contains(body, secret) || strings.Contains(body, "root:x:0:0") || strings.Contains(body, "unsafeHTML") {
			t.Errorf("GET %s = %d and a file from outside the site:\n%.200s", target, code, body)
		}
		if code < 400 || code > 499 {
			t.Errorf("GET %s = %d, want a 4xx status", target, code)
		}
	}
	s.stop(t, os.Interrupt)
}
