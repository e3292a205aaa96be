// Package bench holds the side-by-side build benchmark: kbgen build against
// Hugo followed by Pagefind, on corpora of 1,000, 10,000 and 100,000
// generated articles (internal/corpus). It is a test, run on demand:
//
//	KBGEN_BENCH=1 go test ./internal/bench -run TestBenchTable -v -timeout 60m
//
// For each size it writes the corpus into a temporary directory, runs the
// real kbgen binary (built once with go build) as a subprocess with -v, and
// prints a table: wall time, the stage times kbgen build -v reports (the
// time before the first stage, process start, configuration, reading,
// parsing and checking every article, is shown as "load"), articles per
// second, peak RSS from the subprocess's rusage, output size and the size
// of the search export (public/search/).
//
// Peers, on the same corpus in the same run: Hugo (go install
// github.com/gohugoio/hugo@KBGEN_BENCH_HUGO into the cache directory) with
// the articles as its content/<lang>/, a minimal layout and Chroma
// highlighting with classes, then Pagefind (npm install pagefind into the
// cache directory; the npm package ships the platform binary) indexing
// Hugo's output. The last table gives kbgen / (Hugo + Pagefind) per size.
// A peer that cannot be installed is reported as such and kbgen's figures
// are still printed. No peer code is vendored or copied; binaries live in
// the cache directory only.
//
// Search is then measured in headless Chromium (browser_test.go) on both
// sites, served on 127.0.0.1 without compression: a code the corpus
// carries, as written and in lower case without 0x, and a Japanese
// two-word query, each in a fresh browser (cold cache). It prints the time
// from the query to its first ten results, the search data sent (counted
// at the server: Pagefind fetches from a web worker) and whether the first
// result carries the code. Chromium missing skips this part.
//
// Environment:
//
//	KBGEN_BENCH=1            run at all (the test skips otherwise)
//	KBGEN_BENCH_SIZES        comma-separated sizes (default 1000,10000,100000)
//	KBGEN_BENCH_SEED         corpus seed (default 1)
//	KBGEN_BENCH_RUNS         runs of each tool per size; the fastest is shown (default 1)
//	KBGEN_BENCH_EDITS        one-article rebuilds per size, each after its own edit; the median is shown (default 9)
//	KBGEN_BENCH_PEERS=0      kbgen only
//	KBGEN_BENCH_HUGO         Hugo version (default v0.165.0, the newest that builds with Go 1.26)
//	KBGEN_BENCH_PAGEFIND     Pagefind version (default 1.6.0)
//	KBGEN_BENCH_CACHE        where peers are installed (default $HOME/.cache/kbgen-bench)
//	KBGEN_BENCH_DIR          work directory, kept afterwards (default a temporary one, removed)
package bench
