package server

import (
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/site"
)

// eventsPath is the URL of the reload event stream; see the package doc.
const eventsPath = "/_kbgen/events"

// maxErrors is how many errors the error page lists; the rest are counted.
const maxErrors = 50

// pageCache holds the responses rendered for one state.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]*response
}

// response is a rendered response; body is shared and must not be changed.
type response struct {
	status int
	ctype  string
	body   []byte
}

func newPageCache() *pageCache { return &pageCache{pages: make(map[string]*response)} }

func (c *pageCache) get(key string) *response {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pages[key]
}

func (c *pageCache) put(key string, r *response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pages[key] = r
}

// ServeHTTP serves the current state of the site; see the package doc.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !safePath(p) || !safePath(r.URL.EscapedPath()) {
		http.Error(w, "bad request path", http.StatusBadRequest)
		return
	}
	if p == eventsPath {
		s.events(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")

	st := s.cur.Load()
	rel, ok := strings.CutPrefix(p, s.basePath)
	if !ok {
		if p+"/" == s.basePath || p == "/" {
			http.Redirect(w, r, s.basePath, http.StatusFound)
			return
		}
		s.notFound(w, r, st)
		return
	}

	// Files that do not depend on the articles' being correct.
	if st.theme != nil {
		if data, ok := st.theme.Asset(rel); ok {
			s.write(w, r, &response{status: http.StatusOK, ctype: contentType(rel), body: data})
			return
		}
	}
	if data, ok := st.searchFile(rel); ok {
		s.write(w, r, &response{status: http.StatusOK, ctype: contentType(rel), body: data})
		return
	}
	if rel == "search/index.json" && st.site != nil && st.search == nil {
		// The first export is still being made (see New): the search
		// script waits and asks again.
		w.Header().Set("Retry-After", "1")
		http.Error(w, "search index not ready yet", http.StatusServiceUnavailable)
		return
	}
	if st.site != nil {
		if name, ok := st.site.ContentFile(rel); ok {
			if data, err := fs.ReadFile(s.fsys, name); err == nil {
				s.write(w, r, &response{status: http.StatusOK, ctype: contentType(rel), body: data})
				return
			}
		}
	}

	if st.broken() {
		s.write(w, r, s.errorPage(st))
		return
	}
	if resp := s.page(st, rel); resp != nil {
		s.write(w, r, resp)
		return
	}
	// A directory asked for without its slash, as static hosts do.
	if rel != "" && !strings.HasSuffix(rel, "/") && path.Ext(rel) == "" {
		if resp := s.page(st, rel+"/"); resp != nil && resp.status == http.StatusOK {
			target := p + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
	}
	s.notFound(w, r, st)
}

// safePath reports whether a request path, decoded or not, is one the
// server will look up: absolute, with no "." or ".." element (also
// percent-encoded), no backslash and no NUL.
func safePath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	lower := strings.ToLower(p)
	if strings.Contains(lower, "%00") || strings.Contains(lower, "%5c") {
		return false
	}
	for _, el := range strings.Split(lower[1:], "/") {
		el = strings.ReplaceAll(el, "%2e", ".")
		if el == "." || el == ".." {
			return false
		}
		// An encoded slash could hide an element: "..%2f".
		for _, part := range strings.Split(el, "%2f") {
			if part == "." || part == ".." {
				return false
			}
		}
	}
	return true
}

// page returns the rendered page at rel, from the cache when possible, or
// nil when the site has no such page. A rendering failure is a 500 page
// saying why.
func (s *Server) page(st *state, rel string) *response {
	if resp := st.cache.get(rel); resp != nil {
		return resp
	}
	var b bytes.Buffer
	found, err := st.site.RenderPage(&b, rel, site.PageOptions{Theme: st.theme, Generator: s.cfg.Generator})
	var resp *response
	switch {
	case err != nil:
		resp = s.errorPage(&state{gen: st.gen, err: err})
	case !found:
		return nil
	default:
		resp = &response{status: http.StatusOK, ctype: contentType(rel), body: b.Bytes()}
		if strings.HasPrefix(resp.ctype, "text/html") {
			resp.body = injectReload(resp.body, st.gen)
		}
	}
	st.cache.put(rel, resp)
	return resp
}

// notFound serves the site's own 404 page, as a static host set up for it
// does, with status 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, st *state) {
	if st.broken() {
		s.write(w, r, s.errorPage(st))
		return
	}
	resp := s.page(st, "404.html")
	if resp == nil || resp.status != http.StatusOK {
		http.NotFound(w, r)
		return
	}
	s.write(w, r, &response{status: http.StatusNotFound, ctype: resp.ctype, body: resp.body})
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, resp *response) {
	w.Header().Set("Content-Type", resp.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		w.Write(resp.body)
	}
}

// contentType is the Content-Type of a file by its extension; a directory
// URL is an HTML page.
func contentType(rel string) string {
	if rel == "" || strings.HasSuffix(rel, "/") || path.Ext(rel) == ".html" {
		return "text/html; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(rel)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// reloadScript listens to the event stream and reloads the page when the
// server announces a generation other than the one the page was rendered
// at. %d is that generation.
const reloadScript = `<script>(function(){var g="%d",s=new EventSource(%q);` +
	`function f(e){if(e.data!==g){s.close();location.reload()}}` +
	`s.addEventListener("hello",f);s.addEventListener("reload",f)})()</script>`

// injectReload inserts the reload script before the last </body>, or at the
// end of a page without one.
func injectReload(page []byte, gen uint64) []byte {
	script := fmt.Sprintf(reloadScript, gen, eventsPath)
	i := bytes.LastIndex(bytes.ToLower(page), []byte("</body>"))
	if i < 0 {
		i = len(page)
	}
	out := make([]byte, 0, len(page)+len(script)+1)
	out = append(out, page[:i]...)
	out = append(out, script...)
	out = append(out, '\n')
	return append(out, page[i:]...)
}

// errorPage lists what keeps the site from being served: the errors, each
// with its source line, and any other failure. Every string from the site
// is HTML-escaped.
func (s *Server) errorPage(st *state) *response {
	var errs diag.List
	for _, d := range st.diags {
		if d.Severity == diag.Error {
			errs = append(errs, d)
		}
	}
	n := len(errs)
	if st.err != nil {
		n++
	}
	var b bytes.Buffer
	title := "1 error"
	if n != 1 {
		title = fmt.Sprintf("%d errors", n)
	}
	fmt.Fprintf(&b, `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbgen: %s</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.4rem;color:#b00020}
ol{padding-left:1.2rem}
li{margin:0 0 1.2rem}
.pos{font-family:ui-monospace,monospace;font-weight:600;word-break:break-all}
pre{background:#f5f5f5;padding:.6rem .8rem;overflow:auto;border-left:3px solid #b00020}
.hint{color:#555}
@media (prefers-color-scheme:dark){body{background:#161616;color:#e6e6e6}pre{background:#222}.hint{color:#aaa}h1{color:#ff6b81}}
</style>
</head>
<body>
<h1 id="kbgen-error">The site has %s</h1>
<p class="hint">Fix the file and save it: this page reloads by itself.</p>
<ol class="errors">
`, title, title)
	if st.err != nil {
		fmt.Fprintf(&b, "<li><pre>%s</pre></li>\n", html.EscapeString(st.err.Error()))
	}
	for i, d := range errs {
		if i == maxErrors {
			fmt.Fprintf(&b, "<li>… and %d more: run kbgen check for the full list</li>\n", len(errs)-maxErrors)
			break
		}
		fmt.Fprintf(&b, "<li><div class=\"pos\">%s</div>", html.EscapeString(d.String()))
		if excerpt := s.excerpt(d.Pos); excerpt != "" {
			fmt.Fprintf(&b, "<pre>%s</pre>", html.EscapeString(excerpt))
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</ol>\n</body>\n</html>\n")
	return &response{status: http.StatusInternalServerError, ctype: "text/html; charset=utf-8", body: injectReload(b.Bytes(), st.gen)}
}

// excerpt returns the line at pos with the one before it, numbered, and a
// caret under the column, or "" when the file cannot be read.
func (s *Server) excerpt(pos diag.Pos) string {
	if pos.Line <= 0 {
		return ""
	}
	src, err := fs.ReadFile(s.fsys, pos.File)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(src), "\n")
	if pos.Line > len(lines) {
		return ""
	}
	var b strings.Builder
	width := len(strconv.Itoa(pos.Line))
	for n := max(1, pos.Line-1); n <= pos.Line; n++ {
		fmt.Fprintf(&b, "%*d | %s\n", width, n, strings.TrimRight(lines[n-1], "\r"))
	}
	if pos.Col > 0 {
		line := []rune(strings.TrimRight(lines[pos.Line-1], "\r"))
		indent := 0
		for _, r := range line[:min(pos.Col-1, len(line))] {
			indent += runeWidth(r)
		}
		fmt.Fprintf(&b, "%*s | %s^\n", width, "", strings.Repeat(" ", indent))
	}
	return b.String()
}

// runeWidth is the width of r in a monospace font: 2 for the East Asian
// wide and full-width ranges (kanji, kana, hangul, full-width forms), so
// that the caret stands under the column of a Japanese line; 1 otherwise.
func runeWidth(r rune) int {
	switch {
	case r < 0x1100:
		return 1
	case r <= 0x115F, 0x2E80 <= r && r <= 0xA4CF && r != 0x303F, 0xAC00 <= r && r <= 0xD7A3,
		0xF900 <= r && r <= 0xFAFF, 0xFE30 <= r && r <= 0xFE4F, 0xFF00 <= r && r <= 0xFF60,
		0xFFE0 <= r && r <= 0xFFE6, 0x20000 <= r && r <= 0x3FFFD:
		return 2
	}
	return 1
}
