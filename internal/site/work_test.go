package site

import (
	"context"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestBuildWork checks that a build times each kind of work it does, the
// load's included, and that the kinds sharing the load's and the pages'
// wall time add up to no more than the whole: a kind timed twice, or a
// share computed wrongly, would exceed it. The second build restores
// its articles from the parse cache rather than reading and parsing
// them, and its time shows as restore.
func TestBuildWork(t *testing.T) {
	dir := t.TempDir()
	fsys := testSite()
	cfg, diags := LoadConfig(fsys)
	if diags.HasErrors() {
		t.Fatalf("LoadConfig: %v", diags)
	}
	opts := BuildOptions{Out: filepath.Join(dir, "public"), IndexDir: filepath.Join(dir, "index")}
	lo := LoadOptions{ParseCache: filepath.Join(dir, "parse-cache"), stamps: stampsAll}
	build := func() map[string]time.Duration {
		t.Helper()
		start := time.Now()
		s, diags, err := LoadWith(context.Background(), fsys, cfg, lo)
		if err != nil || diags.HasErrors() {
			t.Fatalf("Load: %v %v", err, diags)
		}
		st, err := s.Build(context.Background(), opts)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		elapsed := time.Since(start)
		work := make(map[string]time.Duration)
		var shared time.Duration
		for _, k := range st.Work {
			if _, dup := work[k.Name]; dup || k.Time <= 0 {
				t.Errorf("kind %s timed %v, or twice", k.Name, k.Time)
			}
			work[k.Name] = k.Time
			if k.Name != "index" && k.Name != "export" {
				shared += k.Time
			}
		}
		if shared > elapsed {
			t.Errorf("kinds of work add up to %v, more than the load and build's %v: %v", shared, elapsed, st.Work)
		}
		return work
	}
	first := build()
	for _, k := range []string{"read", "parse", "validate", "render", "templates", "write", "index", "export"} {
		if first[k] == 0 {
			t.Errorf("first build: no time for %s: %v", k, first)
		}
	}
	if first["restore"] != 0 {
		t.Errorf("first build: %v restoring from an empty parse cache", first["restore"])
	}
	second := build()
	for _, k := range []string{"restore", "validate", "render", "templates", "write", "index", "export"} {
		if second[k] == 0 {
			t.Errorf("second build: no time for %s: %v", k, second)
		}
	}
	if second["parse"] != 0 {
		t.Errorf("second build: %v parsing, with every article in the parse cache", second["parse"])
	}
}

// TestWorkParallel checks how a parallel part's wall time is shared out:
// in proportion to each kind's time on the goroutines, never more than
// the part took in all, however many goroutines ran at once. Four
// goroutines each spend 6 ms rendering and 2 ms writing per item
// (sleeping, so that they overlap even on one core); a kind's time
// summed over them, taken as wall time, would be about four times the
// part's. The proportion is checked against the times the goroutines
// did spend: on a loaded machine a sleep lasts longer than asked, one
// more than the other (a 6 ms sleep once took 8.8 ms where the 2 ms
// took 2).
func TestWorkParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	w := new(work)
	var spent [2]atomic.Int64 // rendering, writing
	start := time.Now()
	w.parallel(8, func(int) {
		t0 := time.Now()
		time.Sleep(6 * time.Millisecond)
		t1 := w.add(kindRender, t0)
		time.Sleep(2 * time.Millisecond)
		t2 := w.add(kindWrite, t1)
		spent[0].Add(int64(t1.Sub(t0)))
		spent[1].Add(int64(t2.Sub(t1)))
	})
	wall := time.Since(start)
	got := make(map[string]time.Duration)
	var sum time.Duration
	for k, d := range w.totals() {
		if d > 0 {
			got[kindNames[k]] = d
			sum += d
		}
	}
	if sum > wall {
		t.Errorf("shares add up to %v, more than the part's %v: %v", sum, wall, got)
	}
	if sum < wall/2 {
		t.Errorf("shares add up to %v, under half the part's %v, which did nothing else: %v", sum, wall, got)
	}
	want := float64(spent[0].Load()) / float64(spent[1].Load()) // about 3
	if r := float64(got["render"]) / float64(got["write"]); r < want*0.99 || r > want*1.01 {
		t.Errorf("render/write = %.3f, want %.3f, as the goroutines spent them: %v", r, want, got)
	}
	// Outside a part, time counts as it is.
	before := got["validate"]
	w.add(kindValidate, time.Now().Add(-5*time.Millisecond))
	if d := time.Duration(w.shares[kindValidate].Load()) - before; d < 5*time.Millisecond {
		t.Errorf("5 ms of validating outside a part counted as %v", d)
	}
}

// TestWorkBuildStages checks that a build reports the load's work and its
// own, not that of a build of the same Site before it.
func TestWorkBuildStages(t *testing.T) {
	w := new(work)
	ago := func(ms int) time.Time { return time.Now().Add(-time.Duration(ms) * time.Millisecond) }
	w.add(kindRead, ago(5))
	load := w.totals()
	for _, ms := range []int{30, 20} { // two builds
		from := w.totals()
		w.add(kindRender, ago(ms))
		got := make(map[string]time.Duration)
		for _, st := range w.buildStages(load, from) {
			got[st.Name] = st.Time
		}
		want := time.Duration(ms) * time.Millisecond
		if got["render"] < want || got["render"] >= want+10*time.Millisecond || got["read"] < 5*time.Millisecond || got["read"] >= 15*time.Millisecond {
			t.Errorf("build rendering %v after a load reading 5ms: %v", want, got)
		}
	}
}

// TestParallel checks that parallel calls f once for each index, whatever
// the number of goroutines, and returns only when every call has: an
// index taken twice or skipped, or a call still running, shows as a count
// other than 1.
func TestParallel(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		for _, n := range []int{0, 1, 2, 3, 1000} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				calls := make([]atomic.Int32, n)
				parallel(n, func(i int) {
					if i%7 == 0 {
						time.Sleep(time.Microsecond) // let the others take turns
					}
					calls[i].Add(1)
				})
				for i := range calls {
					if c := calls[i].Load(); c != 1 {
						t.Errorf("GOMAXPROCS %d, n %d: f(%d) called %d times", procs, n, i, c)
					}
				}
			}()
		}
	}
}
