package main

// The quality gates of the published site (issue 5): the repository's own
// content, built with the real CLI, served over HTTP on 127.0.0.1 and looked
// at in headless Chromium, as support staff will see it.
//
// Two gates use tools from the npm registry, pinned by
// internal/webtest/js/package-lock.json: axe-core, injected into each page,
// and vnu-jar, the Nu HTML Checker, run with the machine's java. Tests that
// need them skip when internal/webtest/js/node_modules is missing, and fail
// instead under CI=true; .ci/run installs them with
//
//	(cd internal/webtest/js && npm ci --ignore-scripts)
//
// --ignore-scripts because vnu-jar's postinstall script downloads a Java
// runtime from outside the npm registry; the jar itself ships in the package.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/kbgen/kbgen/internal/webtest"
)

// The seed article: the page the weight budget and the copy button are
// measured on, and the article page of the other gates.
const (
	seedSource  = "../../content/ja/kms-activation-0xc004f074.md"
	seedArticle = "/ja/kms-activation-0xc004f074/"
)

// Widths the layout is checked at: a desktop window and the narrowest
// phone the issue asks for.
const (
	desktopWidth = 1280
	phoneWidth   = 360
)

// pageWeightBudget is the limit for an article page's HTML, CSS and
// JavaScript, uncompressed, search index excluded. Counted in bytes of 1000,
// the stricter reading of "60 KB".
const pageWeightBudget = 60_000

// qualityPage is a state of a page type of the built site that the gates
// visit.
type qualityPage struct {
	name  string // names subtests and screenshots
	path  string // URL path on the served site
	typed string // typed into the header search box after load, to open the results
	ready string // CSS selector of what script fills in, waited for before checking
}

// qualityPages returns every page type of the site, and the states that
// script builds: the search box's results and the 404 page's suggestion.
// The paths are those of buildQualitySite, whose lists are paged.
func qualityPages() []qualityPage {
	return []qualityPage{
		{name: "home", path: "/"},
		{name: "home-results", path: "/", typed: "0xC004F074", ready: "#search-results a"},
		{name: "article", path: seedArticle, ready: ".article-body .copy"},
		{name: "article-en", path: "/en/kms-activation-0xc004f074/"},
		{name: "lang", path: "/ja/"},
		{name: "lang-page", path: "/ja/page/2/"}, // a middle page of a paged list: previous, next, the current page marked
		{name: "tag", path: "/tags/kms/"},
		{name: "tags", path: "/tags/"},
		{name: "code", path: "/codes/0xC004F074/"},
		{name: "codes", path: "/codes/"},
		{name: "search", path: "/search/?q=0xC004F074", ready: "#search-page a"},
		{name: "404", path: "/no/such/page/"},
		{name: "404-code", path: "/ja/kms-0xC004F074-old/", ready: "#search-results a"}, // site.js searches for the code in the address
	}
}

// buildQualitySite builds the repository's content as buildRepoSite does,
// but with two articles to a page, so that every list (language, tag,
// code) is paged and its pagination nav is on the pages the gates look
// at. It builds from a copy, so the search index is not written into the
// repository.
func buildQualitySite(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	runCLI(t, "build", "-root", pagedRepoSite(t, 2), "-out", out, "-quiet")
	return out
}

// missingTool skips the test for a tool the machine lacks, or fails it
// under CI, where .ci/run must have installed everything.
func missingTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+"; CI must install it (.ci/run)", args...)
	}
	t.Skipf(format, args...)
}

// npmTools returns internal/webtest/js/node_modules, where the npm test
// tools are installed.
func npmTools(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "internal", "webtest", "js", "node_modules")
	for _, f := range []string{"axe-core/axe.min.js", "vnu-jar/build/dist/vnu.jar"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missingTool(t, "npm test tools not installed (cd internal/webtest/js && npm ci --ignore-scripts): %v", err)
		}
	}
	return dir
}

// artifactsDir returns where the tests write files for a person to look
// at: $KBGEN_ARTIFACTS, or kbgen-artifacts in the temporary directory.
// Unlike t.TempDir it outlives the test.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KBGEN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "kbgen-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// emulate sets the tab's viewport width, as a phone (touch-sized, the
// viewport meta honoured) below 600 px, and the system colour scheme the
// page sees through prefers-color-scheme. Both last across navigations.
func emulate(width int64, scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: 900, DeviceScaleFactor: 1, Mobile: width < 600,
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// openPage loads the page and waits until its script has done what the page
// state needs.
func openPage(ctx context.Context, base string, p qualityPage) error {
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + p.path)}
	if p.typed != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(`#search-input`), p.typed))
	}
	if p.ready != "" {
		steps = append(steps, chromedp.WaitReady(chromedp.CSS(p.ready)))
	}
	steps = append(steps, chromedp.Evaluate[chromedp.Void](`document.fonts.ready`, chromedp.EvalAwaitPromise))
	return chromedp.Do(ctx, steps...)
}

// axeViolation is the part of an axe-core result the report prints.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s]: %s (%s)", v.ID, v.Impact, v.Help, v.HelpURL)
	for i, n := range v.Nodes {
		if i == 5 {
			fmt.Fprintf(&b, "\n\t  … and %d more", len(v.Nodes)-i)
			break
		}
		fmt.Fprintf(&b, "\n\t  %s\n\t    %s\n\t    %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n\t    "))
	}
	return b.String()
}

// axeRun runs every default axe-core rule on the document and returns the
// violations, made JSON-friendly.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary || ""}))
})))`

// TestBrowserAxe runs axe-core on every page type, light and dark, at
// desktop and phone width, and fails on serious or critical violations.
// Moderate and minor ones are logged.
func TestBrowserAxe(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	axeSrc, err := os.ReadFile(filepath.Join(npmTools(t), "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := webtest.Browser(t)
	base := webtest.Serve(t, buildQualitySite(t))
	for _, p := range qualityPages() {
		for _, width := range []int64{desktopWidth, phoneWidth} {
			t.Run(fmt.Sprintf("%s/%d", p.name, width), func(t *testing.T) {
				tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				if err := chromedp.Do(tctx, emulate(width, "light")); err != nil {
					t.Fatal(err)
				}
				if err := openPage(tctx, base, p); err != nil {
					t.Fatalf("open %s: %v", p.path, err)
				}
				if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](string(axeSrc))); err != nil {
					t.Fatalf("inject axe-core: %v", err)
				}
				for _, scheme := range []string{"light", "dark"} {
					if err := chromedp.Do(tctx, emulate(width, scheme)); err != nil {
						t.Fatal(err)
					}
					vs, err := chromedp.Run(tctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
					if err != nil {
						t.Fatalf("axe.run: %v", err)
					}
					for _, v := range vs {
						if v.Impact == "serious" || v.Impact == "critical" {
							t.Errorf("%s %s: %v", p.path, scheme, v)
						} else {
							t.Logf("%s %s (not failing): %v", p.path, scheme, v)
						}
					}
				}
			})
		}
	}
}

// vnuReport is the JSON the Nu HTML Checker writes with --format json.
type vnuReport struct {
	Messages []struct {
		Type     string `json:"type"`
		SubType  string `json:"subType"`
		URL      string `json:"url"`
		LastLine int    `json:"lastLine"`
		LastCol  int    `json:"lastColumn"`
		Message  string `json:"message"`
		Extract  string `json:"extract"`
	} `json:"messages"`
}

// TestNuHTMLChecker runs the Nu HTML Checker over every HTML page of the
// built site, its stylesheets and its SVG icon, and fails on any error.
func TestNuHTMLChecker(t *testing.T) {
	if testing.Short() {
		t.Skip("runs java")
	}
	jar := filepath.Join(npmTools(t), "vnu-jar", "build", "dist", "vnu.jar")
	java, err := exec.LookPath("java")
	if err != nil {
		missingTool(t, "java not installed (apt-get install default-jre-headless)")
	}
	out := buildQualitySite(t)
	var files []string
	kinds := map[string]bool{}
	err = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".html":
			rel, _ := filepath.Rel(out, path)
			kinds[strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]] = true
			if pagedRE.MatchString(filepath.ToSlash(path)) {
				kinds["page 2 of a list"] = true
			}
			files = append(files, path)
		case ".css", ".svg":
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every page type must be among the files checked.
	for _, want := range []string{"index.html", "404.html", "ja", "en", "tags", "codes", "search", "page 2 of a list"} {
		if !kinds[want] {
			t.Errorf("built site has no %s: the checker would not see that page type", want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The checker's schema needs a larger thread stack than the default
	// on some JVMs (it prints StackOverflowError and carries on).
	args := append([]string{"-Xss4m", "-jar", jar, "--format", "json", "--errors-only", "--also-check-css", "--also-check-svg"}, files...)
	cmd := exec.CommandContext(ctx, java, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	// The report is the last line of stderr; anything before it is the JVM's.
	report := stderr.Bytes()
	if i := bytes.LastIndex(bytes.TrimSpace(report), []byte("\n")); i >= 0 {
		report = report[i+1:]
	}
	var r vnuReport
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("vnu: %v (%v)\n%s", runErr, err, stderr.String())
	}
	for _, m := range r.Messages {
		if m.Type == "error" || m.SubType == "fatal" {
			rel, _ := filepath.Rel(out, strings.TrimPrefix(m.URL, "file:"))
			t.Errorf("%s:%d:%d: %s\n\t%q", rel, m.LastLine, m.LastCol, m.Message, m.Extract)
		}
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("vnu: %v\n%s", runErr, stderr.String())
	}
	t.Logf("Nu HTML Checker: %d files, %d messages", len(files), len(r.Messages))
}

// fencedBlocks returns the text of each fenced code block of a Markdown
// file, less the fence's indentation, as the author wrote it: what a copy
// button must put on the clipboard.
func fencedBlocks(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	indent, in := "", false
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case !in && strings.HasPrefix(trimmed, "```"):
			indent, in, cur = line[:len(line)-len(trimmed)], true, nil
		case in && strings.HasPrefix(trimmed, "```"):
			blocks = append(blocks, strings.Join(cur, "\n"))
			in = false
		case in:
			cur = append(cur, strings.TrimPrefix(line, indent))
		}
	}
	return blocks
}

// TestBrowserCopyButton clicks every copy button of the seed article and
// reads the clipboard: it must hold the block's exact command text, without
// the final newline, and the button must say it copied.
func TestBrowserCopyButton(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	want := fencedBlocks(t, seedSource)
	if len(want) == 0 {
		t.Fatalf("%s has no code blocks", seedSource)
	}
	ctx := webtest.Browser(t)
	base := webtest.Serve(t, buildRepoSite(t))
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The test reads the clipboard, which pages may do only with
	// permission, and only while the document has focus, which a headless
	// tab never gets by itself.
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(tctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    browser.PermissionSettingGranted,
			Origin:     base,
		})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(tctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tctx, emulate(desktopWidth, "light")); err != nil {
		t.Fatal(err)
	}
	if err := openPage(tctx, base, qualityPage{path: seedArticle, ready: ".article-body .copy"}); err != nil {
		t.Fatal(err)
	}
	buttons, err := chromedp.Run(tctx, chromedp.Nodes(chromedp.CSSAll(`.article-body .codeblock > .copy`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(buttons) != len(want) {
		t.Fatalf("%d copy buttons, want one per code block (%d)", len(buttons), len(want))
	}
	for i, b := range buttons {
		if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText("(empty)")`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("clear clipboard: %v", err)
		}
		if err := chromedp.Do(tctx, chromedp.MouseClickNode(b)); err != nil {
			t.Fatalf("click copy button %d: %v", i+1, err)
		}
		// The button reports the copy once the clipboard promise settles.
		var label string
		for range 50 {
			label, err = chromedp.Run(tctx, chromedp.Evaluate[string](fmt.Sprintf(
				`(b => b.classList.contains("done") ? b.textContent : "")(document.querySelectorAll(".article-body .codeblock > .copy")[%d])`, i)))
			if err != nil || label != "" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if label != "コピーしました" {
			t.Errorf("copy button %d: label %q after the click, want コピーしました (%v)", i+1, label, err)
		}
		got, err := chromedp.Run(tctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("read clipboard: %v", err)
		}
		if got != want[i] {
			t.Errorf("copy button %d put %q on the clipboard, want %q", i+1, got, want[i])
		} else if i == 0 {
			t.Logf("first copy button copied %q", got)
		}
	}
	status, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(document.querySelector("[role=status].vh") || {}).textContent || ""`))
	if err != nil || status != "コピーしました" {
		t.Errorf("status region says %q (%v), want コピーしました for screen readers", status, err)
	}
}

// overflow measures horizontal scrolling, and names the outermost elements
// that stick out of the viewport when there is some.
const overflow = `(() => {
	const d = document.documentElement, w = d.clientWidth, out = [];
	const sticks = e => e.getBoundingClientRect().right > w + 0.5;
	for (const e of document.body.querySelectorAll("*")) {
		if (sticks(e) && !(e.parentElement && e.parentElement !== document.body && sticks(e.parentElement)) && out.length < 5)
			out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
				" right=" + Math.round(e.getBoundingClientRect().right));
	}
	return {scroll: d.scrollWidth, client: w, culprits: out};
})()`

// TestBrowserNoHorizontalScroll loads every page type at 360 px and checks
// that nothing makes the page scroll sideways: wide code and tables must
// scroll inside themselves.
func TestBrowserNoHorizontalScroll(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	base := webtest.Serve(t, buildQualitySite(t))
	for _, p := range qualityPages() {
		t.Run(p.name, func(t *testing.T) {
			tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := chromedp.Do(tctx, emulate(phoneWidth, "light")); err != nil {
				t.Fatal(err)
			}
			if err := openPage(tctx, base, p); err != nil {
				t.Fatalf("open %s: %v", p.path, err)
			}
			m, err := chromedp.Run(tctx, chromedp.Evaluate[struct {
				Scroll, Client int
				Culprits       []string
			}](overflow))
			if err != nil {
				t.Fatal(err)
			}
			if m.Client != phoneWidth {
				t.Errorf("%s: viewport is %d px wide, want %d", p.path, m.Client, phoneWidth)
			}
			if m.Scroll > m.Client {
				t.Errorf("%s scrolls sideways at %d px: content is %d px wide; sticking out: %s",
					p.path, m.Client, m.Scroll, strings.Join(m.Culprits, ", "))
			}
		})
	}
}

// TestBrowserNoExternalRequests loads every page type and checks that the
// browser fetched nothing from anywhere but the site: the site must work on
// an intranet with no internet.
func TestBrowserNoExternalRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	base := webtest.Serve(t, buildQualitySite(t))
	for _, p := range qualityPages() {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := openPage(tctx, base, p)
		var urls []string
		if err == nil {
			urls, err = chromedp.Run(tctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name)`))
		}
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
				t.Errorf("%s fetched %s, outside the site", p.path, u)
			}
		}
	}
}

// TestBrowserScreenshots writes full-page screenshots of the home page, the
// home page with search results open, the seed article and a page of a
// paged list, light and dark, desktop and phone, for a person to look at.
func TestBrowserScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := webtest.Browser(t)
	base := webtest.Serve(t, buildQualitySite(t))
	dir := artifactsDir(t)
	var pages []qualityPage
	for _, p := range qualityPages() {
		if p.name == "home" || p.name == "home-results" || p.name == "article" || p.name == "lang-page" {
			pages = append(pages, p)
		}
	}
	for _, p := range pages {
		for _, width := range []int64{desktopWidth, phoneWidth} {
			for _, scheme := range []string{"light", "dark"} {
				tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := chromedp.Do(tctx, emulate(width, scheme))
				if err == nil {
					err = openPage(tctx, base, p)
				}
				var png []byte
				if err == nil {
					png, err = chromedp.Run(tctx, chromedp.FullScreenshot(100))
				}
				cancel()
				if err != nil {
					t.Fatalf("%s %d %s: %v", p.path, width, scheme, err)
				}
				file := filepath.Join(dir, fmt.Sprintf("%s-%d-%s.png", p.name, width, scheme))
				if err := os.WriteFile(file, png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot %s", file)
			}
		}
	}
}

// TestArticlePageWeight adds up the bytes a browser loads for the seed
// article: its HTML and every stylesheet and script it links, not the search
// index files search.js fetches on demand. The budget is 60 KB.
func TestArticlePageWeight(t *testing.T) {
	out := buildRepoSite(t)
	page, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(seedArticle), "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	total := len(page)
	parts := []string{fmt.Sprintf("HTML %d", len(page))}
	tag := regexp.MustCompile(`<(link|script)\b[^>]*>`)
	attr := regexp.MustCompile(`\b(rel|href|src)="([^"]*)"`)
	var seen []string
	for _, m := range tag.FindAllStringSubmatch(string(page), -1) {
		attrs := map[string]string{}
		for _, a := range attr.FindAllStringSubmatch(m[0], -1) {
			attrs[a[1]] = a[2]
		}
		ref := attrs["src"]
		if m[1] == "link" {
			if !slices.Contains(strings.Fields(attrs["rel"]), "stylesheet") {
				continue
			}
			ref = attrs["href"]
		}
		if ref == "" || slices.Contains(seen, ref) {
			continue
		}
		seen = append(seen, ref)
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("%s links %q: want a root-relative URL on the site", seedArticle, ref)
			continue
		}
		fi, err := os.Stat(filepath.Join(out, filepath.FromSlash(strings.SplitN(ref, "?", 2)[0])))
		if err != nil {
			t.Errorf("%s links %q: %v", seedArticle, ref, err)
			continue
		}
		total += int(fi.Size())
		parts = append(parts, fmt.Sprintf("%s %d", filepath.Base(ref), fi.Size()))
	}
	t.Logf("seed article page weight: %d bytes (%.1f KB): %s", total, float64(total)/1000, strings.Join(parts, ", "))
	if total > pageWeightBudget {
		t.Errorf("seed article page weighs %d bytes, over the %d budget", total, pageWeightBudget)
	}
}
