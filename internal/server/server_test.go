package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/corpus"
	"github.com/kbgen/kbgen/internal/site"
)

// article is the article of the test site that the tests change.
const article = "content/ja/kms-activation-0xc004f074.md"

// copySite copies the repository's content/ (and kbgen.yaml, if any) into
// a fresh site root.
func copySite(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	src := os.DirFS("../..")
	err := fs.WalkDir(src, "content", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return writeFile(root, p, string(data))
	})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile("../../kbgen.yaml"); err == nil {
		writeFile(root, "kbgen.yaml", string(data))
	}
	return root
}

func writeFile(root, name, data string) error {
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(data), 0o644)
}

func readFile(t testing.TB, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newServer returns a server on the site at root with its first search
// export made, as Serve makes it when it starts.
func newServer(t testing.TB, root string) *Server {
	t.Helper()
	s := newServerOnly(t, root, &bytes.Buffer{})
	s.exportSearch(context.Background())
	return s
}

// newServerOnly returns a server as New does, writing its log to log.
func newServerOnly(t testing.TB, root string, log *bytes.Buffer) *Server {
	t.Helper()
	s, err := New(context.Background(), Config{Root: root, Generator: "kbgen test", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	return s
}

// get sends a GET for target, which is used as the request line's path as
// written (not cleaned or re-encoded), straight to the handler.
func get(s http.Handler, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	return w
}

// runScript runs the request script in testdata/name against s; see
// testdata/site.txt for the format.
func runScript(t *testing.T, s http.Handler, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var w *httptest.ResponseRecorder
	var target string
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := name + ":" + strconv.Itoa(n+1)
		f := strings.Fields(line)
		switch {
		case f[0] == "GET" && len(f) == 2:
			target = f[1]
			w = get(s, target)
		case w == nil:
			t.Fatalf("%s: check before any request", where)
		case f[0] == "code" && len(f) == 3 && f[1] == "==":
			if want, _ := strconv.Atoi(f[2]); w.Code != want {
				t.Errorf("%s: GET %s: code = %d, want %d", where, target, w.Code, want)
			}
		case f[0] == "header" && len(f) >= 4 && f[2] == "contains":
			want := strings.Join(f[3:], " ")
			if got := w.Header().Get(f[1]); !strings.Contains(got, want) {
				t.Errorf("%s: GET %s: header %s = %q, want it to contain %q", where, target, f[1], got, want)
			}
		case f[0] == "body" && len(f) >= 3 && (f[1] == "contains" || f[1] == "!contains"):
			want := strings.TrimSpace(strings.SplitN(line, f[1], 2)[1])
			if got := strings.Contains(w.Body.String(), want); got != (f[1] == "contains") {
				t.Errorf("%s: GET %s: body %s %q is false", where, target, f[1], want)
			}
		default:
			t.Fatalf("%s: cannot read %q", where, line)
		}
	}
}

// TestServeParseCache checks that a server started again restores every
// unchanged article from its parse cache and serves the same pages, and
// that a changed article is parsed again.
func TestServeParseCache(t *testing.T) {
	root := copySite(t)
	cache := filepath.Join(t.TempDir(), "parse-cache")
	start := func() (*Server, site.LoadStats) {
		s, err := New(context.Background(), Config{Root: root, Generator: "kbgen test", ParseCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		st := s.cur.Load()
		if st.site == nil {
			t.Fatalf("no site loaded: %v %v", st.err, st.diags)
		}
		return s, st.site.LoadStats()
	}
	page := "/ja/kms-activation-0xc004f074/"
	first, ls := start()
	if ls.Files == 0 || ls.Restored != 0 {
		t.Fatalf("first start: %+v, want files parsed and none restored", ls)
	}
	want := get(first, page)
	if want.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", page, want.Code)
	}
	second, ls2 := start()
	if ls2.Files != ls.Files || ls2.Restored != ls.Files {
		t.Errorf("second start: %+v, want all %d files restored", ls2, ls.Files)
	}
	if got := get(second, page); got.Body.String() != want.Body.String() {
		t.Errorf("GET %s after a restore differs from after a parse", page)
	}
	if err := writeFile(root, article, strings.Replace(readFile(t, root, article), "Windows のライセンス認証に失敗", "Windows のライセンス認証に失敗 (改訂版)", 1)); err != nil {
		t.Fatal(err)
	}
	third, ls3 := start()
	if ls3.Restored != ls.Files-1 {
		t.Errorf("start after an edit: %+v, want all but one of %d files restored", ls3, ls.Files)
	}
	if got := get(third, page).Body.String(); !strings.Contains(got, "(改訂版)") {
		t.Errorf("GET %s after the edit does not show it", page)
	}
}

func TestServeScript(t *testing.T) {
	s := newServer(t, copySite(t))
	runScript(t, s, "site.txt")
}

// TestServeSearch checks that the pages name the search directory whose
// entry, index.json, names an export the server serves, as on the
// published site, and that a new export replaces it after a change while
// the previous one stays reachable for open tabs.
func TestServeSearch(t *testing.T) {
	root := copySite(t)
	s := newServer(t, root)
	if m := regexp.MustCompile(`data-index="([^"]+)"`).FindStringSubmatch(get(s, "/").Body.String()); m == nil || m[1] != "/search/" {
		t.Fatalf("home page's data-index: %q, want /search/", m)
	}
	version := func() string {
		w := get(s, "/search/index.json")
		var entry struct{ V string }
		if err := json.Unmarshal(w.Body.Bytes(), &entry); w.Code != 200 || err != nil || entry.V == "" {
			t.Fatalf("GET /search/index.json: %d %v %.100q", w.Code, err, w.Body.String())
		}
		return "/search/" + entry.V + "/"
	}
	first := version()
	if w := get(s, first+"index.json"); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "json") {
		t.Fatalf("GET %sindex.json: %d %s", first, w.Code, w.Header().Get("Content-Type"))
	}

	writeFile(root, "content/ja/new-0x80070057.md", strings.Replace(readFile(t, root, article), "0xC004F074", "0x80070057", -1))
	s.apply(context.Background(), []string{"content/ja/new-0x80070057.md"})
	if got := version(); got != first {
		t.Errorf("search export changed before it was rebuilt: %s", got)
	}
	s.exportSearch(context.Background())
	second := version()
	if second == first {
		t.Fatalf("search export did not change after adding an article")
	}
	for _, u := range []string{first, second} {
		if w := get(s, u+"index.json"); w.Code != 200 {
			t.Errorf("GET %sindex.json: %d", u, w.Code)
		}
	}
	checkExport(t, s, second, first)

	// An edit: the index is updated, not rebuilt, and the export serves
	// what did not change from the one before where it is.
	writeFile(root, article, strings.Replace(readFile(t, root, article), "## 要約\n", "## 要約\n\n追記の一文。\n", 1))
	s.apply(context.Background(), []string{article})
	s.exportSearch(context.Background())
	third := version()
	if third == second {
		t.Fatalf("search export did not change after an edit")
	}
	checkExport(t, s, third, second)
}

// checkExport checks that the export the server serves at path (a
// version's directory) is byte for byte the export of the served site's
// index built afresh, and that files it has in common with the export at
// prev are the same files, linked, not written again.
func checkExport(t *testing.T, s *Server, path, prev string) {
	t.Helper()
	_, want := freshExport(t, s)
	changed := map[string]bool{"index.json": true} // always written
	for name, data := range want {
		w := get(s, path+name)
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), data) {
			t.Errorf("served export's %s differs from a fresh export's (%d)", name, w.Code)
			continue
		}
		if old := get(s, prev+name); old.Code != 200 || !bytes.Equal(old.Body.Bytes(), data) {
			changed[name] = true
		}
	}
	// The export's own directory, if it has one (a small change is kept
	// in memory), holds only files that changed since the one before:
	// the others are served where they are.
	own := filepath.Join(s.tmp, filepath.FromSlash(strings.Trim(path, "/")))
	if _, err := os.Stat(own); err == nil {
		for name := range readTree(t, own) {
			if !changed[name] {
				t.Errorf("%s is unchanged since the export before but was written again", name)
			}
		}
	}
	if len(changed) == len(want) {
		t.Errorf("all %d files changed: want the export before to be the one served before", len(want))
	}
}

// readTree returns the files below dir by slash-separated name.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestServeCloseWhileSearching cancels the search goroutine's context
// while it is still at work on the index, as Ctrl-C does, and closes the
// server: Close must wait for that work to end before it removes the
// temporary directory the index is in, and then remove it all.
func TestServeCloseWhileSearching(t *testing.T) {
	root := copySite(t)
	s := newServer(t, root)
	writeFile(root, article, strings.Replace(readFile(t, root, article), "## 要約\n", "## 要約\n\n追記の一文。\n", 1))
	s.apply(context.Background(), []string{article})

	held, release := make(chan struct{}), make(chan struct{})
	testHookUpdated = func() {
		close(held)
		<-release
	}
	defer func() {
		testHookUpdated = func() {}
		select {
		case <-release:
		default:
			close(release) // the test failed before letting it go
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.exportSearch(ctx)
		close(done)
	}()
	<-held
	cancel()
	<-done // at once: the index's work is left to end on its own
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while the index was still in use", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := os.Stat(filepath.Join(s.tmp, "index")); err != nil {
		t.Fatalf("index removed while in use: %v", err)
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.tmp); !os.IsNotExist(err) {
		t.Errorf("temporary directory there after Close: %v", err)
	}
}

// TestServeRebuild changes, breaks and fixes an article and checks what
// every page shows in between.
func TestServeRebuild(t *testing.T) {
	root := copySite(t)
	s := newServer(t, root)
	good := readFile(t, root, article)
	page := "/ja/kms-activation-0xc004f074/"
	ctx := context.Background()

	writeFile(root, article, strings.Replace(good, "## 要約\n", "## 要約\n- 変更された要約の行\n", 1))
	if st := s.apply(ctx, []string{article}); st == nil || st.gen != 2 {
		t.Fatalf("apply after a change: no new state")
	}
	if w := get(s, page); w.Code != 200 || !strings.Contains(w.Body.String(), "変更された要約の行") {
		t.Fatalf("after a change, GET %s = %d, without the change", page, w.Code)
	}

	// A broken frontmatter (a date that is not one) and a title that must
	// come out escaped.
	broken := strings.Replace(good, `updatedAt: "2025-11-03T09:11:56.107Z"`, `updatedAt: "<script>alert(1)</script>"`, 1)
	writeFile(root, article, broken)
	s.apply(ctx, []string{article})
	for _, p := range []string{page, "/", "/en/", "/nope/"} {
		w := get(s, p)
		body := w.Body.String()
		if w.Code != http.StatusInternalServerError {
			t.Errorf("while broken, GET %s = %d, want 500", p, w.Code)
		}
		if !strings.Contains(body, article+":5:12: error: updatedAt") {
			t.Errorf("while broken, GET %s does not show the error with its position:\n%s", p, body)
		}
		if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("while broken, GET %s does not escape the source line", p)
		}
		if !strings.Contains(body, "/_kbgen/events") {
			t.Errorf("while broken, GET %s has no reload script", p)
		}
	}
	// Assets are still served, so the fixed page is styled at once.
	if m := regexp.MustCompile(`/assets/[^"]+\.css`).FindString(get(s, "/nope").Body.String()); m != "" {
		t.Errorf("the error page uses the site's stylesheet %s; it must stand alone", m)
	}

	writeFile(root, article, good)
	s.apply(ctx, []string{article})
	if w := get(s, page); w.Code != 200 || !strings.Contains(w.Body.String(), "0xC004F074") {
		t.Errorf("after the fix, GET %s = %d", page, w.Code)
	}

	// A template that does not parse is an error page too, naming the file.
	writeFile(root, "templates/article.html", `{{define "main"}}{{.Nope`)
	s.apply(ctx, []string{"templates/article.html"})
	if w := get(s, page); w.Code != 500 || !strings.Contains(w.Body.String(), "templates/article.html") {
		t.Errorf("with a broken template, GET %s = %d:\n%s", page, w.Code, w.Body.String())
	}
	writeFile(root, "templates/article.html", `{{define "main"}}<p id="custom">{{.Title}}</p>{{end}}`)
	s.apply(ctx, []string{"templates/article.html"})
	if w := get(s, page); w.Code != 200 || !strings.Contains(w.Body.String(), `<p id="custom">`) {
		t.Errorf("with a site template, GET %s = %d, not using it", page, w.Code)
	}

	// kbgen.yaml reloads everything.
	writeFile(root, "kbgen.yaml", "title: \"Changed KB\"\n")
	s.apply(ctx, []string{"kbgen.yaml"})
	if w := get(s, "/"); !strings.Contains(w.Body.String(), "Changed KB") {
		t.Errorf("after changing kbgen.yaml, the home page does not show the new title")
	}
	writeFile(root, "kbgen.yaml", "title: [\n")
	s.apply(ctx, []string{"kbgen.yaml"})
	if w := get(s, "/"); w.Code != 500 || !strings.Contains(w.Body.String(), "kbgen.yaml:1:1: error:") {
		t.Errorf("with a broken kbgen.yaml, GET / = %d:\n%s", w.Code, w.Body.String())
	}

	// Changes elsewhere, and to files the site does not read, do nothing.
	if st := s.apply(ctx, []string{"public/index.html", "README.md", "content/ja/.x.md.swp", "content/_drafts/a.md"}); st != nil {
		t.Errorf("a change outside content/, templates/ and kbgen.yaml caused a rebuild")
	}
}

// TestServeSymlinks checks that links pointing out of the site are not
// followed.
func TestServeSymlinks(t *testing.T) {
	root := copySite(t)
	outside := t.TempDir()
	writeFile(outside, "secret.png", "secret")
	writeFile(outside, "dir/secret.png", "secret")
	if err := os.Symlink(filepath.Join(outside, "secret.png"), filepath.Join(root, "content/ja/secret.png")); err != nil {
		t.Skipf("cannot make symbolic links: %v", err)
	}
	os.Symlink(filepath.Join(outside, "dir"), filepath.Join(root, "content/ja/dir"))
	writeFile(root, "content/ja/ok.png", "fine")
	s := newServer(t, root)
	for _, p := range []string{"/ja/secret.png", "/ja/dir/secret.png"} {
		if w := get(s, p); w.Code != 404 || strings.Contains(w.Body.String(), "secret") {
			t.Errorf("GET %s through a symbolic link out of the site = %d, want 404", p, w.Code)
		}
	}
	if w := get(s, "/ja/ok.png"); w.Code != 200 || w.Body.String() != "fine" || w.Header().Get("Content-Type") != "image/png" {
		t.Errorf("GET /ja/ok.png = %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}

func TestServeMethods(t *testing.T) {
	s := newServer(t, copySite(t))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", w.Code)
	}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("HEAD", "/", nil))
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD / = %d with %d bytes", w.Code, w.Body.Len())
	}
}

func TestServeBasePath(t *testing.T) {
	var log bytes.Buffer
	s, err := New(context.Background(), Config{Root: copySite(t), BaseURL: "https://example.github.io/kb", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if w := get(s, "/"); w.Code != http.StatusFound || w.Header().Get("Location") != "/kb/" {
		t.Errorf("GET / = %d to %q, want a redirect to /kb/", w.Code, w.Header().Get("Location"))
	}
	w := get(s, "/kb/ja/kms-activation-0xc004f074/")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `href="/kb/`) || strings.Contains(w.Body.String(), "https://example.github.io") {
		t.Errorf("GET /kb/ja/kms-activation-0xc004f074/ = %d, links not under /kb/ or to the published host", w.Code)
	}
	if w := get(s, "/ja/kms-activation-0xc004f074/"); w.Code != 404 {
		t.Errorf("GET outside the base path = %d, want 404", w.Code)
	}
}

// TestServeWatchAndEvents runs the real server: a change on disk is picked
// up by the watcher, the open event stream announces it, and cancelling
// the context shuts the server down although the stream is still open.
func TestServeWatchAndEvents(t *testing.T) {
	root := copySite(t)
	s := newServer(t, root)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + eventsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("event stream Content-Type = %q", ct)
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- ev + " " + strings.TrimPrefix(line, "data: ")
			}
		}
		close(events)
	}()
	next := func() string {
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
			return ""
		}
	}
	if e := next(); e != "hello 1" {
		t.Fatalf("first event = %q, want hello 1", e)
	}

	// Let the watcher start, then change the article as an editor does:
	// write a new file and rename it over the old one.
	time.Sleep(200 * time.Millisecond)
	good := readFile(t, root, article)
	tmp := filepath.Join(root, "content/ja/.edit.tmp")
	os.WriteFile(tmp, []byte(strings.Replace(good, "## 要約\n", "## 要約\n- 監視で拾われた変更\n", 1)), 0o644)
	if err := os.Rename(tmp, filepath.Join(root, article)); err != nil {
		t.Fatal(err)
	}
	if e := next(); e != "reload 2" {
		t.Fatalf("event after a change = %q, want reload 2", e)
	}
	page, err := http.Get(base + "/ja/kms-activation-0xc004f074/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body), "監視で拾われた変更") {
		t.Errorf("the page does not show the change picked up by the watcher")
	}

	// A new directory with an article in it.
	os.MkdirAll(filepath.Join(root, "content/ja/sub"), 0o755)
	time.Sleep(100 * time.Millisecond)
	writeFile(root, "content/ja/sub/new.md", good)
	for e := next(); e != "reload 3" && e != "reload 4"; e = next() {
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := http.Get(base + "/ja/sub/new/")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("an article in a new directory was not picked up")
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of cancel with an event stream open")
	}
}

// TestInjectReload checks where the reload script goes.
func TestInjectReload(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<html><body><p>x</p></body></html>", "<html><body><p>x</p><script>…</script>\n</body></html>"},
		{"<p>no body end</p>", "<p>no body end</p><script>…</script>\n"},
		{"<BODY>a</BODY>", "<BODY>a<script>…</script>\n</BODY>"},
	} {
		got := regexp.MustCompile(`<script>.*</script>`).ReplaceAllString(string(injectReload([]byte(tc.in), 7)), "<script>…</script>")
		if got != tc.want {
			t.Errorf("injectReload(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// BenchmarkServeRebuild measures what an author waits for after saving
// one article of a large site: the rebuild (site.Update, and reloading
// nothing else) until the new state is published, then the first request
// of the changed page. The warnings of site.Check, which the server
// computes after publishing, for its log, are timed apart. cpu-ms is the
// process's CPU time for all of it, garbage collection included, which
// unlike wall time does not depend on how busy the machine is. The site is
// generated by package corpus, with as many articles as
// KBGEN_SERVE_ARTICLES says (default 1,000):
//
//	KBGEN_SERVE_ARTICLES=10000 go test ./internal/server -run '^$' -bench Rebuild -benchtime 20x
func BenchmarkServeRebuild(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("KBGEN_SERVE_ARTICLES")); err == nil && v > 0 {
		n = v
	}
	root := b.TempDir()
	if _, err := corpus.Write(root, n, 1); err != nil {
		b.Fatal(err)
	}
	s := newServer(b, root)
	st := s.cur.Load()
	if st.broken() {
		b.Fatalf("generated site is broken: %v %v", st.err, st.diags)
	}
	p := st.site.Articles[len(st.site.Articles)/2]
	good := readFile(b, root, p.Path)
	ctx := context.Background()
	var rebuild, request, check, cpu time.Duration
	i := 0
	for b.Loop() {
		i++
		mark := "編集" + strconv.Itoa(i)
		writeFile(root, p.Path, good+"\n"+mark+"\n")
		startCPU, start := cpuTime(), time.Now()
		// apply's steps, timed one by one.
		next := s.rebuild(ctx, s.cur.Load(), false, false, []string{p.Path})
		next.gen = st.gen + uint64(i)
		next.search, next.searchPrev, next.searchOf = st.search, st.searchPrev, st.searchOf
		s.cur.Store(next)
		s.hub.publish(next.gen)
		t1 := time.Now()
		if w := get(s, "/"+p.URL); !strings.Contains(w.Body.String(), mark) {
			b.Fatal("page lacks the edit")
		}
		t2 := time.Now()
		next.site.Check(time.Now())
		check += time.Since(t2)
		rebuild += t1.Sub(start)
		request += t2.Sub(t1)
		cpu += cpuTime() - startCPU
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(i) }
	b.ReportMetric(ms(rebuild), "rebuild-ms/op")
	b.ReportMetric(ms(request), "page-ms/op")
	b.ReportMetric(ms(check), "check-ms/op")
	b.ReportMetric(ms(cpu), "cpu-ms/op")
}

// TestServeSearchStart checks the search of a server before and after its
// first export, which New leaves to Serve: pages are served at once and
// the search entry answers 503 with Retry-After, for the search script to
// ask again. It then starts servers from a search index and export as
// kbgen build leaves them (Config.SeedIndex, SeedExport): while that index
// is open elsewhere, the server says so and indexes every article; once
// it is closed, the server starts from a copy of it and takes the
// published export's files over, also after an article changed since.
// Every server serves the export of an index built afresh.
func TestServeSearchStart(t *testing.T) {
	ctx := context.Background()
	root := copySite(t)
	var log bytes.Buffer
	s := newServerOnly(t, root, &log)
	if w := get(s, "/ja/kms-activation-0xc004f074/"); w.Code != http.StatusOK {
		t.Errorf("GET an article before the search export: %d", w.Code)
	}
	if w := get(s, "/search/index.json"); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("GET /search/index.json before the export: %d, Retry-After %q; want 503 with Retry-After",
			w.Code, w.Header().Get("Retry-After"))
	}
	s.exportSearch(ctx)
	if !strings.Contains(log.String(), "search index ready in") {
		t.Errorf("log after the first export lacks %q:\n%s", "search index ready in", log.String())
	}
	sameExport(t, s)

	// The index a build leaves, with its export's state beside it, and
	// the export it publishes.
	seed, published := filepath.Join(t.TempDir(), "index"), t.TempDir()
	x, err := s.cur.Load().site.UpdateSearch(ctx, seed)
	if err != nil {
		t.Fatal(err)
	}
	e, err := x.Export(published, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := func(wantLog string) *Server {
		t.Helper()
		var log bytes.Buffer
		s, err := New(ctx, Config{Root: root, Generator: "kbgen test", Log: &log, SeedIndex: seed, SeedExport: published})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.exportSearch(ctx)
		if !strings.Contains(log.String(), wantLog) {
			t.Errorf("log lacks %q:\n%s", wantLog, log.String())
		}
		sameExport(t, s)
		return s
	}
	start("indexing every article: search index " + seed + " is in use")
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	// The published files are taken over: the export's own directory,
	// if it has one, holds only files that differ from them, and the
	// manifest, which is always made.
	pub := readTree(t, filepath.Join(published, e.Version()))
	takenOver := func(s *Server) {
		t.Helper()
		own := filepath.Join(s.tmp, "search", s.cur.Load().search.Version())
		if _, err := os.Stat(own); errors.Is(err, fs.ErrNotExist) {
			return
		}
		for name, data := range readTree(t, own) {
			if name != "index.json" && bytes.Equal(pub[name], data) {
				t.Errorf("%s is as published but was made again", name)
			}
		}
	}
	s = start("(started from " + seed + ")")
	if v := s.cur.Load().search.Version(); v != e.Version() {
		t.Errorf("served version %s, published %s", v, e.Version())
	}
	takenOver(s)
	// An edit then, from the state the first export read.
	edit := func() {
		writeFile(root, article, strings.Replace(readFile(t, root, article), "## 要約\n", "## 要約\n\n追記の一文。\n", 1))
	}
	edit()
	s.apply(ctx, []string{article})
	s.exportSearch(ctx)
	sameExport(t, s)
	// An article changed since the build.
	edit()
	s = start("(started from " + seed + ")")
	if v := s.cur.Load().search.Version(); v == e.Version() {
		t.Errorf("served version %s after an edit is the published one", v)
	}
	takenOver(s)
}

// freshExport returns the version and files of the export of s's site
// from an index built afresh.
func freshExport(t *testing.T, s *Server) (string, map[string][]byte) {
	t.Helper()
	x, err := s.cur.Load().site.UpdateSearch(context.Background(), filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	fresh := t.TempDir()
	e, err := x.Export(fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.Version(), readTree(t, filepath.Join(fresh, e.Version()))
}

// sameExport checks that s serves the export of its site's index built
// afresh, byte for byte.
func sameExport(t *testing.T, s *Server) {
	t.Helper()
	version, want := freshExport(t, s)
	var entry struct{ V string }
	w := get(s, "/search/index.json")
	if err := json.Unmarshal(w.Body.Bytes(), &entry); w.Code != http.StatusOK || err != nil || entry.V != version {
		t.Fatalf("GET /search/index.json: %d %v, version %q; want %s", w.Code, err, entry.V, version)
	}
	for name, data := range want {
		if w := get(s, "/search/"+entry.V+"/"+name); w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), data) {
			t.Errorf("served %s (%d) differs from a fresh export's", name, w.Code)
		}
	}
}
