//go:build unix

package bench

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/kbgen/kbgen/internal/corpus"
)

// config is the benchmark's environment, read once.
type config struct {
	sizes    []int
	seed     int64
	runs     int
	edits    int // one-article rebuilds timed, each after its own edit
	peers    bool
	hugo     string // version
	pagefind string // version
	cache    string
	dir      string
	timeout  time.Duration
	maxRSS   int64 // bytes; a run whose process tree grows past it is killed
}

// defaultEdits is how many one-article rebuilds are timed by default:
// nine, so that one or two on a busy moment of the shared machine do not
// make the median. The first two after a full build used to read the
// whole spare, whose directories' stamps no build had recorded yet (351-
// 512 ms at 10,000 articles at 572-614 ms of CPU, where later ones took
// 260-320 ms); builds now record them once written (site's stampDirs),
// and in two runs since those two took 272-350 ms at 463-486 ms of CPU,
// the later ones 268-646 ms.
const defaultEdits = 9

func readConfig(t *testing.T) config {
	c := config{
		sizes:    []int{1000, 10000, 100000},
		seed:     1,
		runs:     1,
		edits:    defaultEdits,
		peers:    os.Getenv("KBGEN_BENCH_PEERS") != "0",
		hugo:     envOr("KBGEN_BENCH_HUGO", "v0.165.0"),
		pagefind: envOr("KBGEN_BENCH_PAGEFIND", "1.6.0"),
		cache:    os.Getenv("KBGEN_BENCH_CACHE"),
		dir:      os.Getenv("KBGEN_BENCH_DIR"),
		timeout:  45 * time.Minute,
		maxRSS:   12 << 30,
	}
	if s := os.Getenv("KBGEN_BENCH_MAXRSS_MIB"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			t.Fatalf("KBGEN_BENCH_MAXRSS_MIB: %q is not a positive number", s)
		}
		c.maxRSS = v << 20
	}
	if s := os.Getenv("KBGEN_BENCH_SIZES"); s != "" {
		c.sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
			if err != nil || n <= 0 {
				t.Fatalf("KBGEN_BENCH_SIZES: %q is not a positive number", f)
			}
			c.sizes = append(c.sizes, n)
		}
	}
	if s := os.Getenv("KBGEN_BENCH_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			t.Fatalf("KBGEN_BENCH_SEED: %v", err)
		}
		c.seed = v
	}
	if s := os.Getenv("KBGEN_BENCH_RUNS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("KBGEN_BENCH_RUNS: %q is not a positive number", s)
		}
		c.runs = v
	}
	if s := os.Getenv("KBGEN_BENCH_EDITS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("KBGEN_BENCH_EDITS: %q is not a positive number", s)
		}
		c.edits = v
	}
	if s := os.Getenv("KBGEN_BENCH_TIMEOUT"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("KBGEN_BENCH_TIMEOUT: %v", err)
		}
		c.timeout = v
	}
	if c.cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatalf("no cache directory: set KBGEN_BENCH_CACHE (%v)", err)
		}
		c.cache = filepath.Join(home, ".cache", "kbgen-bench")
	}
	if c.dir == "" {
		c.dir = t.TempDir()
	}
	return c
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// TestBenchTable builds generated corpora with kbgen and with Hugo +
// Pagefind and prints the figures; see the package doc.
func TestBenchTable(t *testing.T) {
	if os.Getenv("KBGEN_BENCH") != "1" {
		t.Skip("the side-by-side benchmark runs only with KBGEN_BENCH=1 (see internal/bench/doc.go)")
	}
	c := readConfig(t)
	out := os.Stdout
	fmt.Fprintf(out, "\n# kbgen build benchmark: %s\n", machine())

	kbgen := filepath.Join(c.dir, "kbgen")
	if msg, err := run(context.Background(), "../..", nil, "go", "build", "-o", kbgen, "./cmd/kbgen"); err != nil {
		t.Fatalf("go build ./cmd/kbgen: %v\n%s", err, msg)
	}
	var hugo, pagefind string
	if c.peers {
		var err error
		if hugo, err = installHugo(c); err != nil {
			fmt.Fprintf(out, "hugo %s: not available: %v\n", c.hugo, err)
		} else {
			fmt.Fprintf(out, "hugo: %s\n", version(hugo, "version"))
		}
		if pagefind, err = installPagefind(c); err != nil {
			fmt.Fprintf(out, "pagefind %s: not available: %v\n", c.pagefind, err)
		} else {
			fmt.Fprintf(out, "pagefind: %s\n", version(pagefind, "--version"))
		}
	} else {
		fmt.Fprintln(out, "peers: skipped (KBGEN_BENCH_PEERS=0)")
	}

	var results []*result
	for _, n := range c.sizes {
		r := benchSize(t, c, n, kbgen, hugo, pagefind)
		results = append(results, r)
		fmt.Fprintf(out, "\n## %s articles done (corpus written in %s, load average %s)\n", thousands(n), round(r.gen), loadavg())
		printTables(out, results[len(results)-1:])
	}
	fmt.Fprintf(out, "\n## All sizes\n")
	printTables(out, results)
}

// result holds the figures of one corpus size.
type result struct {
	n        int
	gen      time.Duration
	corpus   size
	kb       *proc
	kbSame   *proc // rebuild with the cache, nothing changed
	kbEdit   *proc // rebuild with the cache, one article edited: the median of kbEdits
	kbEdits  []*proc
	kbOut    size
	kbSearch size
	hugo     *proc
	hugoOut  size
	pf       *proc
	pfOut    size
	notes    []string

	queries   []query     // searched in Chromium on each site
	kbQueries []searchRun // kbgen's site, by query
	pfQueries []searchRun // Pagefind's index of Hugo's site
}

// proc is one measured subprocess run.
type proc struct {
	wall   time.Duration
	cpu    time.Duration // user + system time of the process and the children it waited for
	rss    int64         // peak resident set, bytes
	stages []stage       // kbgen build -v's stages
	work   []stage       // and its time by kind of work
	err    error
}

type stage struct {
	name string
	d    time.Duration
}

type size struct {
	bytes int64
	files int
}

func benchSize(t *testing.T, c config, n int, kbgen, hugo, pagefind string) *result {
	r := &result{n: n}
	root := filepath.Join(c.dir, strconv.Itoa(n))
	kb := filepath.Join(root, "kb")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m, err := corpus.Write(kb, n, c.seed)
	if err != nil {
		t.Fatalf("write corpus: %v", err)
	}
	r.queries = benchQueries(m)
	r.gen = time.Since(start)
	r.corpus = dirSize(filepath.Join(kb, "content"))
	fmt.Printf("\n  corpus, %s articles: %s written in %s\n", thousands(n), mib(r.corpus.bytes), round(r.gen))

	// A full build is a build with no build cache: every run starts
	// without one, and writes one for the rebuilds below.
	r.kb = best(c.runs, func() *proc {
		os.RemoveAll(filepath.Join(kb, ".kbgen"))
		return measure(c, root, kbgen, "build", "-root", kb, "-v")
	})
	if r.kb.err != nil {
		r.notes = append(r.notes, fmt.Sprintf("kbgen build: %v", r.kb.err))
	}
	progress("kbgen", n, r.kb)
	r.kbOut = dirSize(filepath.Join(kb, "public"))
	r.kbSearch = dirSize(filepath.Join(kb, "public", "search"))
	if ok(r.kb) {
		r.rebuild(t, c, root, kb, kbgen)
		r.kbQueries = browserSearches(t, filepath.Join(kb, "public"), "/", kbgenSearchJS, r.queries)
	}

	if hugo != "" {
		site := filepath.Join(root, "hugo")
		pub := filepath.Join(site, "public")
		if err := writeHugoSite(site, filepath.Join(kb, "content")); err != nil {
			t.Fatal(err)
		}
		r.hugo = best(c.runs, func() *proc {
			os.RemoveAll(pub)
			return measure(c, site, hugo, "--source", site, "--destination", pub,
				"--cacheDir", filepath.Join(site, "cache"), "--logLevel", "error")
		})
		if r.hugo.err != nil {
			r.notes = append(r.notes, fmt.Sprintf("hugo: %v", r.hugo.err))
		}
		progress("hugo", n, r.hugo)
		r.hugoOut = dirSize(pub)
		if pagefind != "" && r.hugo.err == nil {
			idx := filepath.Join(pub, "pagefind")
			r.pf = best(c.runs, func() *proc {
				os.RemoveAll(idx)
				return measure(c, site, pagefind, "--site", pub)
			})
			if r.pf.err != nil {
				r.notes = append(r.notes, fmt.Sprintf("pagefind: %v", r.pf.err))
			}
			progress("pagefind", n, r.pf)
			r.pfOut = dirSize(idx)
			if r.pf.err == nil {
				r.pfQueries = browserSearches(t, pub, "/ja/", pagefindSearchJS, r.queries) // "/" redirects to baseURL
			}
		}
	}
	return r
}

// rebuild measures kbgen build with the cache the full build wrote: once
// with nothing changed, then c.edits times after an edit of one article's
// body each, an author's pause (editPause) before each edit; the table
// shows the median edit, as one rebuild alone moved between 0.63 and
// 1.05 s at 10,000 articles over three runs of the bench on one day. Up
// to 10,000 articles it then builds the edited site again without the
// cache and checks that the output is byte-identical.
func (r *result) rebuild(t *testing.T, c config, root, kb, kbgen string) {
	r.kbSame = measure(c, root, kbgen, "build", "-root", kb, "-v")
	progress("kbgen rebuild, nothing changed", r.n, r.kbSame)
	var edited string
	filepath.WalkDir(filepath.Join(kb, "content"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && edited == "" && strings.HasSuffix(p, ".md") {
			edited = p
		}
		return err
	})
	for i := range c.edits {
		time.Sleep(editPause)
		f, err := os.OpenFile(edited, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "\n- edit %d for the benchmark\n", i+1)
		f.Close()
		p := measure(c, root, kbgen, "build", "-root", kb, "-v")
		progress("kbgen rebuild, one article edited", r.n, p)
		if !ok(p) {
			r.kbEdit = p
			return
		}
		r.kbEdits = append(r.kbEdits, p)
	}
	r.kbEdit = median(r.kbEdits)
	if len(r.kbEdits) > 1 {
		lo, hi := slices.MinFunc(r.kbEdits, byWall), slices.MaxFunc(r.kbEdits, byWall)
		r.notes = append(r.notes, fmt.Sprintf("one article edited: the median of %d rebuilds, which took %s to %s", len(r.kbEdits), round(lo.wall), round(hi.wall)))
	}
	if r.n > 10000 {
		return
	}
	clean := filepath.Join(root, "clean")
	if msg, err := run(context.Background(), root, nil, kbgen, "build", "-root", kb, "-out", clean, "-no-cache", "-quiet"); err != nil {
		t.Fatalf("kbgen build -no-cache: %v\n%s", err, msg)
	}
	if d := diffTrees(filepath.Join(kb, "public"), clean); d != "" {
		t.Errorf("%d articles: the rebuild with the cache differs from a build without it: %s", r.n, d)
		r.notes = append(r.notes, "rebuild differs from a clean build: "+d)
	} else {
		r.notes = append(r.notes, "rebuild after one edit is byte-identical to a clean build")
	}
	os.RemoveAll(clean)
}

// diffTrees returns "" if the files below a and b are the same, or the
// first difference.
func diffTrees(a, b string) string {
	files := func(dir string) map[string]string {
		m := make(map[string]string)
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			m[rel] = string(data)
			return err
		})
		return m
	}
	fa, fb := files(a), files(b)
	for name, data := range fa {
		if other, ok := fb[name]; !ok {
			return name + " only in the rebuild"
		} else if other != data {
			return name + " differs"
		}
	}
	for name := range fb {
		if _, ok := fa[name]; !ok {
			return name + " missing from the rebuild"
		}
	}
	return ""
}

// progress prints one line as each run ends, so that a long run shows
// its figures before the size is complete.
func progress(tool string, n int, p *proc) {
	fmt.Printf("  %s, %s articles: %s, CPU %s, peak RSS %s, load average %s\n", tool, thousands(n), status(p), cpu(p), rss(p), loadavg())
}

// editPause is how long the bench waits before each edit: an author's
// pace rather than a script's, and past the 2 s for which a build does
// not record the status of a file it has just seen change (site's
// stampSettle), so that each rebuild starts from what a settled one left.
const editPause = 2500 * time.Millisecond

// median returns the run of median wall time of ps (the faster of the
// two middle ones for an even count).
func median(ps []*proc) *proc {
	s := slices.Clone(ps)
	slices.SortStableFunc(s, byWall)
	return s[(len(s)-1)/2]
}

func byWall(a, b *proc) int { return cmp.Compare(a.wall, b.wall) }

// best runs f n times and returns the fastest successful run, or the
// first failure.
func best(n int, f func() *proc) *proc {
	var b *proc
	for range n {
		p := f()
		if p.err != nil {
			return p
		}
		if b == nil || p.wall < b.wall {
			b = p
		}
	}
	return b
}

// measure runs name with args in dir and returns its wall time, its peak
// RSS from the kernel's rusage (which covers the children it waited for,
// so the npm launcher's pagefind binary is counted), and the stage lines
// ("name duration") it printed to stderr. A run that outlives c.timeout,
// or whose process tree holds more than c.maxRSS, is killed: the machine
// is shared, and a peer that needs more memory than it has would take
// everything else down with it.
func measure(c config, dir, name string, args ...string) *proc {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr, stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return &proc{err: err}
	}
	overRSS := make(chan int64, 1)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if r := treeRSS(cmd.Process.Pid); r > c.maxRSS {
					overRSS <- r
					cancel()
					return
				}
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	p := &proc{wall: time.Since(start)}
	select {
	case r := <-overRSS:
		err = fmt.Errorf("killed after %v: its processes held %s, over the limit of %s (KBGEN_BENCH_MAXRSS_MIB)", round(p.wall), mib(r), mib(c.maxRSS))
	default:
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %v", c.timeout)
		}
	}
	if err != nil {
		p.err = fmt.Errorf("%v\n%s%s", err, tail(stdout.String()), tail(stderr.String()))
	}
	if cmd.ProcessState != nil {
		p.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.rss = int64(ru.Maxrss)
			if runtime.GOOS == "linux" {
				p.rss *= 1024 // kilobytes on Linux, bytes on the BSDs
			}
		}
	}
	// "name duration" lines: the stages, then, after the line that
	// starts "by kind of work", the kinds.
	into := &p.stages
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "by kind of work") {
			into = &p.work
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if d, err := time.ParseDuration(f[1]); err == nil {
			*into = append(*into, stage{f[0], d})
		}
	}
	return p
}

// treeRSS returns the resident memory of process pid and all its
// descendants, from /proc; 0 where /proc is not there.
func treeRSS(pid int) int64 {
	var total int64
	stack := []int{pid}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p)); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
					total += kb << 10
				}
			}
		}
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p))
		for _, f := range tasks {
			data, _ := os.ReadFile(f)
			for _, c := range strings.Fields(string(data)) {
				if n, err := strconv.Atoi(c); err == nil {
					stack = append(stack, n)
				}
			}
		}
	}
	return total
}

func tail(s string) string {
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// run runs a command to completion and returns its combined output.
func run(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func version(bin, flag string) string {
	out, err := exec.Command(bin, flag).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s (version unknown: %v)", bin, err)
	}
	return strings.TrimSpace(string(out)) + " (" + bin + ")"
}

// installHugo installs Hugo with go install into the cache, once per
// version. Hugo v0.166.0 and later need Go 1.27; GOTOOLCHAIN=local makes
// a too-new version fail with that message instead of fetching a
// toolchain.
func installHugo(c config) (string, error) {
	bin := filepath.Join(c.cache, "hugo-"+c.hugo)
	exe := filepath.Join(bin, "hugo")
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	fmt.Printf("installing hugo %s (go install, takes several minutes once)…\n", c.hugo)
	out, err := run(ctx, os.TempDir(), []string{"GOBIN=" + bin, "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"},
		"go", "install", "github.com/gohugoio/hugo@"+c.hugo)
	if err != nil {
		return "", fmt.Errorf("go install github.com/gohugoio/hugo@%s: %v: %s", c.hugo, err, lastLines(out, 3))
	}
	return exe, nil
}

// installPagefind installs Pagefind from the npm registry into the cache,
// once per version. The pagefind package takes its binary from a
// platform package (@pagefind/linux-x64 …) among its optional
// dependencies, so nothing is downloaded at run time; the check below runs
// it once to be sure.
func installPagefind(c config) (string, error) {
	prefix := filepath.Join(c.cache, "pagefind-"+c.pagefind)
	exe := filepath.Join(prefix, "node_modules", ".bin", "pagefind")
	if _, err := os.Stat(exe); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			return "", errors.New("npm is not installed")
		}
		if err := os.MkdirAll(prefix, 0o755); err != nil {
			return "", err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		out, err := run(ctx, prefix, nil, "npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "pagefind@"+c.pagefind)
		if err != nil {
			return "", fmt.Errorf("npm install pagefind@%s: %v: %s", c.pagefind, err, lastLines(out, 3))
		}
	}
	if out, err := exec.Command(exe, "--version").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s --version: %v: %s", exe, err, lastLines(string(out), 3))
	}
	return exe, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// writeHugoSite writes a minimal Hugo site whose two languages read the
// generated articles in place, with Chroma highlighting to classes (as
// kbgen does), article pages marked for Pagefind (so that, as with kbgen,
// only articles are indexed) and list pages for sections and tags.
func writeHugoSite(dir, content string) error {
	files := map[string]string{
		"hugo.toml": fmt.Sprintf(`baseURL = "http://localhost/"
title = "Knowledge Base"
defaultContentLanguage = "ja"
defaultContentLanguageInSubdir = true
hasCJKLanguage = true
disableKinds = ["sitemap", "robotsTXT"]
[languages.ja]
  contentDir = %q
  locale = "ja"
  weight = 1
[languages.en]
  contentDir = %q
  locale = "en"
  weight = 2
[markup.highlight]
  noClasses = false
[markup.goldmark.renderer]
  unsafe = false
`, filepath.Join(content, "ja"), filepath.Join(content, "en")),
		"layouts/_default/baseof.html": `<!doctype html>
<html lang="{{ .Language.Locale }}"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title></head>
<body>{{ block "main" . }}{{ end }}</body></html>
`,
		"layouts/_default/single.html": `{{ define "main" }}<main data-pagefind-body><h1>{{ .Title }}</h1>
<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ .Content }}</main>{{ end }}
`,
		"layouts/_default/list.html": `{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}
`,
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func dirSize(dir string) size {
	var s size
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			s.bytes += fi.Size()
			s.files++
		}
		return nil
	})
	return s
}

// mergeNames adds to names those of stages it lacks, each after the name
// that comes before it in stages: kbgen prints a kind or stage only if it
// took time (a full build restores nothing from the parse cache), in an
// order of its own that the columns keep.
func mergeNames(names []string, stages []stage) []string {
	at := 0 // where the next name missing goes
	for _, s := range stages {
		if i := slices.Index(names, s.name); i >= 0 {
			at = i + 1
			continue
		}
		names = slices.Insert(names, at, s.name)
		at++
	}
	return names
}

func printTables(w io.Writer, results []*result) {
	// The stage columns are the union of the names kbgen printed, in order.
	var names []string
	for _, r := range results {
		names = mergeNames(names, r.kb.stages)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nkbgen build by stage (wall time; other = wall − the stages: starting, reading the caches, exiting; search runs beside articles and lists)")
	fmt.Fprint(tw, "articles\tcorpus\twall\tother\t")
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t", n)
	}
	fmt.Fprintln(tw, "articles/s\tms/article\tpeak RSS\toutput\tfiles\tsearch export\tsearch files\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t", thousands(r.n), mib(r.corpus.bytes), status(r.kb))
		var sum time.Duration
		for _, s := range r.kb.stages {
			// The search stage runs beside the others; what the
			// build waited for it is "search-wait".
			if s.name != "search" {
				sum += s.d
			}
		}
		if ok(r.kb) {
			fmt.Fprintf(tw, "%s\t", round(r.kb.wall-sum))
		} else {
			fmt.Fprint(tw, "–\t")
		}
		for _, n := range names {
			i := slices.IndexFunc(r.kb.stages, func(s stage) bool { return s.name == n })
			if i < 0 {
				fmt.Fprint(tw, "–\t")
			} else {
				fmt.Fprintf(tw, "%s\t", round(r.kb.stages[i].d))
			}
		}
		if !ok(r.kb) {
			fmt.Fprintf(tw, "–\t–\t%s\t–\t–\t–\t–\t\n", mib(r.kb.rss))
			continue
		}
		fmt.Fprintf(tw, "%.0f\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n",
			float64(r.n)/r.kb.wall.Seconds(), float64(r.kb.wall.Microseconds())/1000/float64(r.n),
			mib(r.kb.rss), mib(r.kbOut.bytes), thousands(r.kbOut.files), mib(r.kbSearch.bytes), thousands(r.kbSearch.files))
	}
	tw.Flush()

	// The full build and the one-edit rebuild by kind of work: each
	// kind's share of the stages' wall time (kbgen build -v; see
	// internal/site/work.go).
	var kinds []string
	for _, r := range results {
		for _, p := range []*proc{r.kb, r.kbEdit} {
			if p != nil {
				kinds = mergeNames(kinds, p.work)
			}
		}
	}
	fmt.Fprintln(w, "\nkbgen build by kind of work (wall time; the stages run the kinds interleaved on every core, and each gets")
	fmt.Fprintln(w, "its share of their wall time; index (bleve) and export run beside render, templates and write)")
	fmt.Fprint(tw, "articles\tbuild\twall\t")
	for _, k := range kinds {
		fmt.Fprintf(tw, "%s\t", k)
	}
	fmt.Fprintln(tw)
	for _, r := range results {
		for _, row := range []struct {
			name string
			p    *proc
		}{{"full", r.kb}, {"one article edited (median)", r.kbEdit}} {
			if !ok(row.p) {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t", thousands(r.n), row.name, round(row.p.wall))
			for _, k := range kinds {
				if i := slices.IndexFunc(row.p.work, func(s stage) bool { return s.name == k }); i >= 0 {
					fmt.Fprintf(tw, "%s\t", round(row.p.work[i].d))
				} else {
					fmt.Fprint(tw, "–\t")
				}
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()

	fmt.Fprintln(w, "\nkbgen build with the build cache (.kbgen/build-cache) after a full build")
	fmt.Fprintln(tw, "articles\tfull build\tnothing changed\tone article edited (median)\tratio to full\tCPU\tpeak RSS\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", thousands(r.n), status(r.kb), status(r.kbSame), status(r.kbEdit))
		if ok(r.kb) && ok(r.kbEdit) {
			fmt.Fprintf(tw, "%.2f\t%s\t%s\t\n", r.kbEdit.wall.Seconds()/r.kb.wall.Seconds(), cpu(r.kbEdit), rss(r.kbEdit))
		} else {
			fmt.Fprint(tw, "–\t–\t–\t\n")
		}
	}
	tw.Flush()

	fmt.Fprintln(w, "\nside by side (wall time; ratio = kbgen / (hugo + pagefind), below 1 means kbgen is faster;")
	fmt.Fprintln(w, "CPU = user + system time, the fairer figure when other work shares the machine)")
	fmt.Fprintln(tw, "articles\tkbgen\thugo\tpagefind\thugo+pagefind\tratio\tkbgen CPU\thugo CPU\tpagefind CPU\tCPU ratio\tkbgen RSS\thugo RSS\tpagefind RSS\thugo output\tpagefind index\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", thousands(r.n), status(r.kb), status(r.hugo), status(r.pf))
		if ok(r.kb) && ok(r.hugo) && ok(r.pf) {
			peers := r.hugo.wall + r.pf.wall
			fmt.Fprintf(tw, "%s\t%.2f\t", round(peers), r.kb.wall.Seconds()/peers.Seconds())
		} else {
			fmt.Fprint(tw, "–\t–\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t", cpu(r.kb), cpu(r.hugo), cpu(r.pf))
		if ok(r.kb) && ok(r.hugo) && ok(r.pf) {
			fmt.Fprintf(tw, "%.2f\t", r.kb.cpu.Seconds()/(r.hugo.cpu+r.pf.cpu).Seconds())
		} else {
			fmt.Fprint(tw, "–\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", rss(r.kb), rss(r.hugo), rss(r.pf), mibIf(r.hugo, r.hugoOut), mibIf(r.pf, r.pfOut))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nsearch in headless Chromium, each query in a fresh browser (cold cache), served on 127.0.0.1 without compression;")
	fmt.Fprintln(w, "time from the query to its first results shown (kbgen) or the data of its first ten (Pagefind), and, where later, to kbgen's ten complete with snippets;")
	fmt.Fprintln(w, "search data received (response bodies); whether the first result carries the code")
	fmt.Fprintln(tw, "articles\tquery\tkbgen\tpagefind\t")
	for _, r := range results {
		for i, q := range r.queries {
			fmt.Fprintf(tw, "%s\t%s %q\t%s\t%s\t\n", thousands(r.n), q.name, q.text, searchCell(at(r.kbQueries, i), q), searchCell(at(r.pfQueries, i), q))
		}
	}
	tw.Flush()
	for _, r := range results {
		if i := slices.IndexFunc(r.pfQueries, func(s searchRun) bool { return s.code > 0 }); i >= 0 {
			fmt.Fprintf(w, "note (%s articles): Pagefind also fetched its worker script and WebAssembly module, %.1f KB, during the query (not counted above, as kbgen's search.js is not)\n", thousands(r.n), float64(r.pfQueries[i].code)/1024)
		}
	}
	for _, r := range results {
		for _, n := range r.notes {
			fmt.Fprintf(w, "note (%s articles): %s\n", thousands(r.n), n)
		}
	}
}

func ok(p *proc) bool { return p != nil && p.err == nil }

// at returns &runs[i], or nil if there is none.
func at(runs []searchRun, i int) *searchRun {
	if i >= len(runs) {
		return nil
	}
	return &runs[i]
}

func status(p *proc) string {
	switch {
	case p == nil:
		return "n/a"
	case p.err != nil:
		return "failed"
	}
	return round(p.wall)
}

func cpu(p *proc) string {
	if p == nil || p.cpu == 0 {
		return "n/a"
	}
	return round(p.cpu)
}

func rss(p *proc) string {
	if p == nil || p.rss == 0 {
		return "n/a"
	}
	return mib(p.rss)
}

func mibIf(p *proc, s size) string {
	if !ok(p) {
		return "n/a"
	}
	return mib(s.bytes)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func round(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// machine describes where the figures were taken.
func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(string(data))
		if len(f) > 1 {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d cores (%s)%s, %s, load average %s",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, mem, runtime.Version(), loadavg())
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
