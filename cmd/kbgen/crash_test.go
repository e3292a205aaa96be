//go:build linux

package main

// Crash safety and determinism of kbgen build, end to end with the real
// binary (issue 7, parts 3 and 4).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/corpus"
)

// buildLeftovers returns the build directories beside out.
func buildLeftovers(t *testing.T, out string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".new-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// kbgenBuild runs the binary's build of root into out with the extra
// environment, wants exit status 0, and returns the wall time.
func kbgenBuild(t *testing.T, bin, root, out string, env ...string) time.Duration {
	t.Helper()
	cmd := exec.Command(bin, "build", "-root", root, "-out", out, "-quiet")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("kbgen build -root %s -out %s (%q): %v\n%s", root, out, env, err, stderr.String())
	}
	return time.Since(start)
}

// TestCrashKill builds a 5,000-article site with the kbgen binary, then
// changes the content and SIGKILLs rebuilds at many points: at fixed times
// after the start, at fractions of a full build's time, and on events seen
// on disk (the build directory appears, the search export starts in it, it
// holds half and then all of the article pages, the list pages and then the
// feed are being written, the swap has happened).
// After every kill public/ must be one complete site, file for file: the
// one from before the kill, or, for a kill after the swap, the new one;
// never a mixture. A final build must succeed, publish the current content
// and leave no build directory behind (builds remove those that killed
// builds left), and kbgen search must work on its index.
//
// It takes about ten builds' time; KBGEN_KILLTEST_ARTICLES=500 makes a
// quick run by hand.
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000-article kill test skipped in -short mode")
	}
	n := 5000
	if s := os.Getenv("KBGEN_KILLTEST_ARTICLES"); s != "" { // for a quick run by hand
		fmt.Sscan(s, &n)
	}
	bin := buildBinary(t)
	root := t.TempDir()
	if _, err := corpus.Write(root, n, 1); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "public")

	// Two versions of the content: A as generated, B with every 25th
	// title changed, which changes article, list, tag, code and search
	// files.
	var changedA, changedB [][2]string // path, content
	i := 0
	for a := range corpus.All(n, 1) {
		if i%25 == 0 {
			p := filepath.Join(root, filepath.FromSlash(a.Path))
			changedA = append(changedA, [2]string{p, string(a.Src)})
			changedB = append(changedB, [2]string{p, strings.Replace(string(a.Src), "title: \"", "title: \"(B) ", 1)})
		}
		i++
	}
	setContent := func(files [][2]string) {
		for _, f := range files {
			if err := os.WriteFile(f[0], []byte(f[1]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	full := kbgenBuild(t, bin, root, out)
	hashA := hashTree(t, out)
	setContent(changedB)
	refB := filepath.Join(t.TempDir(), "public")
	full = max(full, kbgenBuild(t, bin, root, refB))
	hashB := hashTree(t, refB)
	if hashA.diff(hashB) == "" {
		t.Fatal("content B builds the same site as content A: the kills would prove nothing")
	}
	os.RemoveAll(refB)
	t.Logf("%d articles, %d files; a full build takes %v", n, len(hashA), full.Round(time.Millisecond))

	// Which content is on disk, which site is in public/.
	hashes := map[byte]tree{'A': hashA, 'B': hashB}
	content, published := byte('B'), byte('A')
	other := func(v byte) byte { return 'A' + 'B' - v }

	type point struct {
		name string
		// wait blocks until the moment to kill, given the build's start
		// time; it returns false if the build ended first.
		wait func(start time.Time, done <-chan struct{}) bool
	}
	after := func(d time.Duration) func(time.Time, <-chan struct{}) bool {
		return func(start time.Time, done <-chan struct{}) bool {
			select {
			case <-time.After(time.Until(start.Add(d))):
				return true
			case <-done:
				return false
			}
		}
	}
	// poll waits until cond holds, checking every millisecond.
	poll := func(cond func() bool) func(time.Time, <-chan struct{}) bool {
		return func(start time.Time, done <-chan struct{}) bool {
			for !cond() {
				select {
				case <-done:
					return false
				case <-time.After(time.Millisecond):
				}
			}
			return true
		}
	}
	// tmpDir returns the build directory of the running build: the one
	// that was not there before it started (stale ones are).
	var before []string
	tmpDir := func() string {
		for _, d := range buildLeftovers(t, out) {
			if !slices.Contains(before, d) {
				return d
			}
		}
		return ""
	}
	count := func(dir string) int {
		es, _ := os.ReadDir(dir)
		return len(es)
	}
	jaArticles := count(filepath.Join(out, "ja"))
	var outIno uint64
	points := []point{
		{"50ms", after(50 * time.Millisecond)},
		{"500ms", after(500 * time.Millisecond)},
		{"build dir appears", poll(func() bool { return tmpDir() != "" })},
		{"search export started", poll(func() bool { d := tmpDir(); return d != "" && count(filepath.Join(d, "search")) > 0 })},
		{"half the articles", poll(func() bool { d := tmpDir(); return d != "" && count(filepath.Join(d, "ja")) >= jaArticles/2 })},
		{"all the articles", poll(func() bool { d := tmpDir(); return d != "" && count(filepath.Join(d, "ja")) >= jaArticles })},
		{"75% of a build", after(full * 3 / 4)},
		// The list pages, then the feeds, are written last (site.Build).
		{"lists being written", poll(func() bool { d := tmpDir(); return d != "" && count(filepath.Join(d, "tags")) > 0 })},
		{"feed written", poll(func() bool {
			d := tmpDir()
			_, err := os.Stat(filepath.Join(d, "feed.xml"))
			return d != "" && err == nil
		})},
		{"swapped", poll(func() bool { return inode(out) != outIno })},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			if content == published {
				content = other(content)
				if content == 'A' {
					setContent(changedA)
				} else {
					setContent(changedB)
				}
			}
			outIno = inode(out)
			before = buildLeftovers(t, out)
			cmd := exec.Command(bin, "build", "-root", root, "-quiet")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var werr error
			go func() { werr = cmd.Wait(); close(done) }()
			killed := p.wait(start, done)
			if killed {
				cmd.Process.Signal(syscall.SIGKILL)
			}
			<-done
			at := time.Since(start).Round(time.Millisecond)
			var exit *exec.ExitError
			switch {
			case werr == nil:
				t.Logf("build finished in %v before the kill", at)
			case errors.As(werr, &exit) && exit.Sys().(syscall.WaitStatus).Signaled():
				t.Logf("killed at %v", at)
			default:
				t.Fatalf("build failed at %v: %v\n%s", at, werr, stderr.String())
			}

			got := hashTree(t, out)
			switch {
			case got.diff(hashes[published]) == "":
				if werr == nil {
					t.Errorf("the build finished but public/ is still the previous site")
				}
				t.Logf("public/ is the previous site (%c), complete", published)
			case got.diff(hashes[content]) == "":
				t.Logf("public/ is the new site (%c), complete", content)
				published = content
			default:
				t.Errorf("public/ is neither the previous site nor the new one: against the previous %s", got.diff(hashes[published]))
				t.FailNow()
			}
			t.Logf("%d build directories left beside public/", len(buildLeftovers(t, out)))
		})
	}

	// The next build succeeds, publishes the content on disk, removes
	// what the killed builds left, and its search index answers.
	kbgenBuild(t, bin, root, out)
	if d := hashTree(t, out).diff(hashes[content]); d != "" {
		t.Errorf("after the final build public/ differs from the content's site: %s", d)
	}
	if left := buildLeftovers(t, out); len(left) > 0 {
		t.Errorf("after the final build, build directories are left: %q", left)
	}
	cmd := exec.Command(bin, "search", "-root", root, "-limit", "1", "ライセンス")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("kbgen search after the kills: %v\n%s", err, b)
	}
}

// inode returns the inode number of path, or 0.
func inode(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// TestBuildOutputErrors makes the output directory impossible to write in
// ways that fail even for root, who ignores permission bits (CI runs as
// root): the output path is a file, its parent is a file, the disk is full
// (a small tmpfs), the parent is immutable (chattr +i). Each must exit 1
// with an error that names the path and the cause, and leave the previous
// site as it was. The last two need root and skip without it.
func TestBuildOutputErrors(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "hostile"))); err != nil {
		t.Fatal(err)
	}
	build := func(t *testing.T, out string) (int, string) {
		var stderr bytes.Buffer
		code := run(t.Context(), []string{"build", "-root", root, "-out", out, "-quiet"}, &bytes.Buffer{}, &stderr)
		return code, stderr.String()
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) (out string) // makes the failure; the previous site, if any, at out
		want  []string                        // in the error message
	}{
		{
			name: "output is a file",
			setup: func(t *testing.T) string {
				out := filepath.Join(t.TempDir(), "public")
				if err := os.WriteFile(out, []byte("not a site"), 0o644); err != nil {
					t.Fatal(err)
				}
				return out
			},
			want: []string{"public exists and is not a directory"},
		},
		{
			name: "parent is a file",
			setup: func(t *testing.T) string {
				file := filepath.Join(t.TempDir(), "site")
				if err := os.WriteFile(file, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(file, "public")
			},
			want: []string{"site", "not a directory"},
		},
		{
			name: "disk full",
			setup: func(t *testing.T) string {
				dir := t.TempDir()
				if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).Run(); err != nil {
					t.Skipf("cannot mount a tmpfs (needs root): %v", err)
				}
				t.Cleanup(func() { exec.Command("umount", dir).Run() })
				out := filepath.Join(dir, "public")
				if code, stderr := build(t, out); code != 0 {
					t.Fatalf("first build exited %d: %s", code, stderr)
				}
				// Leave room for less than a second copy of the site, and
				// remove the build cache: with it, the second build would
				// link the unchanged files of the first and need no room.
				if err := os.Remove(filepath.Join(root, ".kbgen", "build-cache")); err != nil {
					t.Fatal(err)
				}
				var st syscall.Statfs_t
				if err := syscall.Statfs(dir, &st); err != nil {
					t.Fatal(err)
				}
				used := (st.Blocks - st.Bfree) * uint64(st.Bsize)
				if err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%d", used*3/2), dir).Run(); err != nil {
					t.Skipf("cannot resize the tmpfs: %v", err)
				}
				return out
			},
			want: []string{"no space left on device"},
		},
		{
			name: "parent is immutable",
			setup: func(t *testing.T) string {
				dir := filepath.Join(t.TempDir(), "site")
				out := filepath.Join(dir, "public")
				if code, stderr := build(t, out); code != 0 {
					t.Fatalf("first build exited %d: %s", code, stderr)
				}
				if err := exec.Command("chattr", "+i", dir).Run(); err != nil {
					t.Skipf("cannot make a directory immutable (chattr, needs root): %v", err)
				}
				t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
				return out
			},
			want: []string{"create build directory", "operation not permitted"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.setup(t)
			var before tree
			if fi, err := os.Stat(out); err == nil && fi.IsDir() {
				before = hashTree(t, out)
			}
			code, stderr := build(t, out)
			t.Logf("exit %d: %s", code, strings.TrimSpace(stderr))
			if code != 1 {
				t.Errorf("build exited %d, want 1; stderr:\n%s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr = %q, want it to contain %q", stderr, w)
				}
			}
			if !strings.HasPrefix(stderr, "kbgen build: ") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr = %q, want one line starting with \"kbgen build: \"", stderr)
			}
			if before != nil {
				if d := hashTree(t, out).diff(before); d != "" {
					t.Errorf("the failed build changed the previous site: %s", d)
				}
				if left := buildLeftovers(t, out); len(left) > 0 {
					t.Errorf("the failed build left %q", left)
				}
			}
		})
	}
}

// TestDeterminism builds the repository's content and a generated corpus
// with the kbgen binary three times, in three environments, into three
// different output paths, and wants byte-identical output, every file
// (issue 7, part 4):
//
//   - GOMAXPROCS 1, 2 and 8, so that the parallel stages run with
//     different interleavings;
//   - TZ=Etc/GMT+12 (UTC−12), Pacific/Kiritimati (UTC+14) and UTC: the
//     first two are 26 hours apart, so at every instant their local dates
//     differ, and output that depended on the local date, or on the local
//     time zone, would differ. (The wall clock itself cannot be moved for a
//     Go binary without changing the machine's: Go reads it through the
//     vDSO, which libfaketime does not intercept, and time namespaces do
//     not offset CLOCK_REALTIME. kbgen reads the clock only for the
//     future-date check of kbgen build's diagnostics.)
//   - LANG and LC_ALL set to Japanese in one of them.
func TestDeterminism(t *testing.T) {
	if testing.Short() {
		t.Skip("builds with the binary: skipped in -short mode")
	}
	bin := buildBinary(t)
	gen := t.TempDir()
	if _, err := corpus.Write(gen, 300, 11); err != nil {
		t.Fatal(err)
	}
	envs := [][]string{
		{"GOMAXPROCS=1", "TZ=Etc/GMT+12"},
		{"GOMAXPROCS=2", "TZ=Pacific/Kiritimati", "LANG=ja_JP.UTF-8", "LC_ALL=ja_JP.UTF-8"},
		{"GOMAXPROCS=8", "TZ=UTC"},
	}
	for _, zone := range []string{"Etc/GMT+12", "Pacific/Kiritimati"} {
		if _, err := time.LoadLocation(zone); err != nil {
			t.Logf("time zone %s is not installed (%v): that build runs in UTC", zone, err)
		}
	}
	for _, site := range []struct{ name, root string }{{"repo", repoSite(t)}, {"corpus", gen}} {
		t.Run(site.name, func(t *testing.T) {
			var first tree
			for i, env := range envs {
				out := filepath.Join(t.TempDir(), fmt.Sprintf("out%d", i), "public")
				kbgenBuild(t, bin, site.root, out, env...)
				got := hashTree(t, out)
				if i == 0 {
					first = got
					t.Logf("%d files", len(got))
					continue
				}
				if d := got.diff(first); d != "" {
					t.Errorf("build with %q differs from the build with %q: %s", env, envs[0], d)
				}
			}
		})
	}
}

// TestServeLoad starts kbgen serve (the binary) on a generated site of
// 1,000 articles and sends it 20,000 GET requests from 64 concurrent
// clients, over every page of the site, its assets and its search files,
// while the site rebuilds: an article is saved three times during the run
// (at 25, 50 and 75% of the requests), each save a page rebuild and a
// search index rebuild in the background. Every request must succeed with
// 200; the test reports the latency percentiles and the throughput, and
// wants kbgen serve to exit 0 on SIGTERM afterwards (issue 7, part 5).
func TestServeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	const (
		articles    = 1000
		requests    = 20000
		concurrency = 64
	)
	bin := buildBinary(t)
	root := t.TempDir()
	if _, err := corpus.Write(root, articles, 5); err != nil {
		t.Fatal(err)
	}
	// The URLs: every file of the built site, which the server must serve
	// the same (pages are rendered on first request, so the run starts
	// with a cold cache).
	out := filepath.Join(t.TempDir(), "public")
	kbgenBuild(t, bin, root, out)
	var paths []string
	for name := range hashTree(t, out) {
		switch {
		case name == "404.html":
			continue
		case strings.HasSuffix(name, "index.html"):
			name = strings.TrimSuffix(name, "index.html")
		}
		paths = append(paths, "/"+name)
	}
	slices.Sort(paths)
	// Spread the requests over the site in a fixed order.
	rng := uint64(1)
	for i := len(paths) - 1; i > 0; i-- {
		rng = rng*6364136223846793005 + 1442695040888963407
		j := int((rng >> 33) % uint64(i+1))
		paths[i], paths[j] = paths[j], paths[i]
	}

	s := startServe(t, bin, root)
	s.waitSearch(t)
	base := strings.TrimSuffix(s.url, "/")

	// Search files live under search/<version>/, and the version changes
	// when the index is rebuilt; the server keeps the previous version
	// for tabs still open. A browser asks for the version the entry names,
	// so the clients do too: requests for the build's search files go to
	// the version the server's search/index.json names at the time. (The files
	// are the same as the build's; the dev server may name them
	// differently.)
	var buildVersion string
	for _, p := range paths {
		if v, ok := strings.CutPrefix(p, "/search/"); ok && strings.Contains(v, "/") {
			buildVersion = "/search/" + v[:strings.Index(v, "/")+1]
			break
		}
	}
	var servedVersion atomic.Pointer[string]
	readVersion := func() {
		resp, err := http.Get(base + "/search/index.json")
		if err != nil {
			return
		}
		var entry struct{ V string }
		err = json.NewDecoder(resp.Body).Decode(&entry)
		resp.Body.Close()
		if err == nil && entry.V != "" {
			v := "/search/" + entry.V + "/"
			servedVersion.Store(&v)
		}
	}
	readVersion()
	if servedVersion.Load() == nil || buildVersion == "" {
		t.Fatalf("no search version: build %q, served page names none", buildVersion)
	}
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(250 * time.Millisecond):
				readVersion()
			}
		}
	}()
	var edited string
	for a := range corpus.All(articles, 5) {
		edited = filepath.Join(root, filepath.FromSlash(a.Path))
		break
	}
	src, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	save := func(v int) {
		b := bytes.Replace(src, []byte("title: \""), []byte(fmt.Sprintf("title: \"(v%d) ", v)), 1)
		if err := os.WriteFile(edited, b, 0o644); err != nil {
			t.Error(err)
		}
	}

	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency},
		Timeout:   60 * time.Second,
	}
	latency := make([]time.Duration, requests)
	var (
		next   atomic.Int64
		mu     sync.Mutex
		errs   []string
		nerr   int
		wg     sync.WaitGroup
		status = make(map[int]int)
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= requests {
					return
				}
				switch i {
				case requests / 4, requests / 2, requests * 3 / 4:
					save(i)
				}
				p := paths[i%len(paths)]
				if rest, ok := strings.CutPrefix(p, buildVersion); ok {
					p = *servedVersion.Load() + rest
				}
				t0 := time.Now()
				resp, err := client.Get(base + p)
				var n int64
				if err == nil {
					n, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				latency[i] = time.Since(t0)
				mu.Lock()
				switch {
				case err != nil:
					nerr++
					errs = append(errs, fmt.Sprintf("GET %s: %v", p, err))
				case resp.StatusCode != http.StatusOK || n == 0:
					nerr++
					errs = append(errs, fmt.Sprintf("GET %s: %s, %d bytes", p, resp.Status, n))
				}
				if resp != nil {
					status[resp.StatusCode]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopWatch)
	<-watched
	// Percentiles of the whole run, and of the quarter before the first
	// save (no rebuild yet) and the rest, to tell the rebuilds' share.
	percentiles := func(l []time.Duration) string {
		l = slices.Clone(l)
		slices.Sort(l)
		pct := func(p float64) time.Duration {
			return l[min(len(l)-1, int(p*float64(len(l))))].Round(10 * time.Microsecond)
		}
		return fmt.Sprintf("p50 %v, p90 %v, p99 %v, max %v", pct(0.50), pct(0.90), pct(0.99), l[len(l)-1].Round(10*time.Microsecond))
	}
	t.Logf("%d requests, %d clients, %d distinct URLs, in %v: %.0f requests/s; statuses %v\nlatency: %s\nbefore the first save: %s\nfrom the first save on: %s",
		requests, concurrency, len(paths), elapsed.Round(time.Millisecond), float64(requests)/elapsed.Seconds(), status,
		percentiles(latency), percentiles(latency[:requests/4]), percentiles(latency[requests/4:]))
	if nerr > 0 {
		t.Errorf("%d of %d requests failed; the first: %q", nerr, requests, errs[:min(len(errs), 10)])
	}

	// The saves were seen: the server rebuilt the article and the search
	// index, and serves the last save.
	last := fmt.Sprintf("(v%d)", requests*3/4)
	deadline := time.Now().Add(90 * time.Second)
	for {
		log := s.stderr.String()
		page := ""
		if resp, err := client.Get(base + "/" + articleURL(root, edited)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page = string(b)
		}
		if strings.Contains(log, "rebuilt after ") && strings.Contains(log, "search index updated") && strings.Contains(page, last) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("90 s after the last save, kbgen serve has not rebuilt (want %q in the page, \"rebuilt after\" and \"search index updated\" in the log):\n%s", last, log)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("kbgen serve's log:\n%s", s.stderr.String())
	s.stop(t, syscall.SIGTERM)
}

// articleURL returns the URL path, without the leading slash, of the
// article file at path below the site root: content/ja/x.md → ja/x/.
func articleURL(root, path string) string {
	rel, _ := filepath.Rel(filepath.Join(root, "content"), path)
	return strings.TrimSuffix(filepath.ToSlash(rel), ".md") + "/"
}
