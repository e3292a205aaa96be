// Package server is kbgen's development server (kbgen serve): it keeps a
// site loaded in memory, serves it over HTTP as the published site looks,
// rebuilds what a change on disk touches, and makes open browser tabs
// reload by themselves.
//
// # What is served
//
// Every page is rendered on request from the in-memory site by the same
// page writers kbgen build runs (site.RenderPage), so a served page is the
// published page: same templates, same assets under their hashed names, same
// links, same search. The only difference is a small script inserted before
// </body> of HTML responses, which listens for reload events; the published
// build never contains it. Rendered pages are cached until the next change.
//
// The site is served at "/" unless Config.BaseURL gives a path (such as
// "/kb/", to try the site as GitHub Pages will serve it); a host in
// kbgen.yaml's baseURL is ignored, so links stay on the dev server.
//
// Search works exactly as on the published site: the server builds the
// search index, exports the browser's search files into a temporary
// directory and serves them at search/<version>/, with the entry
// search/index.json naming the current version. The first index and
// export are made in the background once Serve starts, from a copy of
// the index kbgen build keeps and the files of the export it published
// when there are (Config.SeedIndex, Config.SeedExport); pages are served
// meanwhile, and the entry answers 503 with Retry-After, which the search
// script waits on. Each export after an edit is made over the one
// before: the files that did not change are served from where they are,
// and the few that did are kept in memory (see site.SearchIndex.Export).
// After a content change the index is updated in the background (about
// 0.1 s at 10,000 articles); until it is done, the entry names the
// previous export, so search may briefly miss the latest edit. The
// garbage of each edit is collected right after its export, so that a
// collection does not fall inside the next edit.
//
// # Rebuilds
//
// The server watches content/ and templates/ (recursively, adding
// directories as they appear) and kbgen.yaml, and waits for 50 ms of quiet
// before rebuilding, so that an editor's save (often a write, a rename and a
// chmod) is one rebuild. What is rebuilt depends on what changed:
//
//	content/…     the changed articles are parsed again (site.Update); the
//	              indexes and link checks are redone without parsing
//	templates/…   the templates and assets are reloaded (site.LoadTheme)
//	kbgen.yaml    everything is loaded again
//
// Files the site neither reads nor publishes (names starting with "." or
// "_" under content/, such as an editor's swap files) cause no rebuild.
// Each rebuild logs its time and the diagnostics of the changed files,
// then tells the browsers to reload.
//
// At 10,000 articles, a rebuild after one changed article (Update, the
// site-wide checks and the changed page's first render) takes 60–80 ms of
// CPU; see BenchmarkServeRebuild and site.BenchmarkUpdate.
//
// # Errors
//
// While the site has errors (diagnostics of severity error, a template that
// does not parse, a file that cannot be read), every page request gets an
// error page with status 500 that lists them as file:line:col lines with the
// offending source line, HTML-escaped. Assets, search files and content files
// are still served. The server keeps running; fixing the file rebuilds the
// site, and the open tab reloads to the page.
//
// # Safety
//
// The server binds the address it is given (127.0.0.1:1313 by default in
// kbgen serve, so it is reachable from this machine only). It serves only
// what the in-memory site renders, the files of its own temporary search
// export, and non-article files below content/, all read through an os.Root,
// which refuses any name that leaves the tree, symbolic links included. A
// request path with a "." or ".." element, a backslash or a NUL byte, raw or
// percent-encoded, is rejected with 400. Only GET and HEAD are allowed.
//
// # Live reload
//
// Open pages hold a server-sent events stream at /_kbgen/events (an
// underscore directory cannot clash with content, whose underscore files
// are never published). The server numbers its rebuilds; a page knows the
// number it was rendered at, and reloads when the stream announces another,
// also after reconnecting to a restarted server.
package server
