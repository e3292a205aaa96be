package site

import (
	"sync/atomic"
	"time"
)

// A kind is a kind of work a build does, for kbgen build -v and the
// benchmark's table. The stages of a build are not made of one kind
// each: loading reads, parses and checks every article in turn on every
// core, and writing the pages renders, executes templates and writes
// files in turn. So the time of a kind is its share of the wall time of
// the parallel parts it ran in (see work.parallel), and the whole of the
// time it took in the parts that run on one goroutine.
type kind int

const (
	kindRead      kind = iota // reading the article files
	kindParse                 // frontmatter and Markdown (again at render time on a large site, see compact)
	kindRestore               // taking articles from the parse cache instead of reading and parsing them
	kindValidate              // the section schema; links and URL clashes
	kindRender                // Markdown to HTML, with the code blocks highlighted
	kindTemplates             // executing the page templates
	kindWrite                 // writing the output files, or linking them from the last build
	numKinds
)

var kindNames = [numKinds]string{"read", "parse", "restore", "validate", "render", "templates", "write"}

// work times the kinds of work of one Site's load and build. A nil *work
// times nothing: the Sites a dev server derives with Update have none.
type work struct {
	// shares holds each kind's wall time so far, in nanoseconds.
	shares [numKinds]atomic.Int64
	// Within a parallel part: each kind's time and the time the
	// goroutines were busy, summed over them.
	sums [numKinds]atomic.Int64
	busy atomic.Int64
	in   atomic.Bool // within a parallel part
}

// add counts the time since start for kind k and returns the time now,
// the start of what comes next.
func (w *work) add(k kind, start time.Time) time.Time {
	now := time.Now()
	if w == nil {
		return now
	}
	if w.in.Load() {
		w.sums[k].Add(int64(now.Sub(start)))
	} else {
		w.shares[k].Add(int64(now.Sub(start)))
	}
	return now
}

// parallel is the package's parallel, timed: each kind gets the part's
// wall time in proportion to the time it took, summed over the
// goroutines, of the time they were busy. What the goroutines did
// besides (looking up the caches, making keys) is the rest, which goes
// to no kind. Parts must not overlap, and no goroutine outside a part
// may add to w while it runs (the search's does not: see linkFile): its
// time would be taken for the part's and get a share of its wall time.
func (w *work) parallel(n int, f func(i int)) {
	if w == nil {
		parallel(n, f)
		return
	}
	start := time.Now()
	w.in.Store(true)
	parallel(n, func(i int) {
		t := time.Now()
		f(i)
		w.busy.Add(int64(time.Since(t)))
	})
	w.in.Store(false)
	wall := time.Since(start)
	busy := w.busy.Swap(0)
	for k := range w.sums {
		if t := w.sums[k].Swap(0); busy > 0 {
			w.shares[k].Add(int64(float64(wall) * float64(t) / float64(busy)))
		}
	}
}

// totals returns each kind's time so far.
func (w *work) totals() (t [numKinds]time.Duration) {
	if w != nil {
		for k := range w.shares {
			t[k] = time.Duration(w.shares[k].Load())
		}
	}
	return t
}

// buildStages returns the time of each kind that took any in the load
// (load, the totals when it ended) and in the build that started when
// the totals were from, in the order of the kinds: a Site built twice
// reports each build's own.
func (w *work) buildStages(load, from [numKinds]time.Duration) []Stage {
	now := w.totals()
	var st []Stage
	for k := range now {
		if d := load[k] + now[k] - from[k]; d > 0 {
			st = append(st, Stage{kindNames[k], d})
		}
	}
	return st
}
