package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/site"
)

// indexDir is where kbgen build keeps the bleve index that kbgen search
// queries, relative to the site root.
const indexDir = ".kbgen/index"

// cacheFile is the build cache, relative to the site root: what the last
// build published, so that the next one links the files it would write
// again unchanged (see internal/site/cache.go).
const cacheFile = ".kbgen/build-cache"

// parseCacheFile is the parse cache, relative to the site root: what
// parsing each article gave, so that the next build or check parses only
// the articles that changed (see internal/site/parsecache.go).
const parseCacheFile = ".kbgen/parse-cache"

// serveParseCacheFile is kbgen serve's parse cache, apart from build's:
// the served configuration differs from the published one (its base
// path), and the cache holds one configuration's parses.
const serveParseCacheFile = ".kbgen/parse-cache.serve"

// siteFlags are the flags every command that loads a site shares.
type siteFlags struct {
	root    string
	baseURL string

	review   bool      // also report site.Check's warnings (kbgen check)
	hollow   bool      // load unchanged articles hollow (site.LoadOptions.Hollow): kbgen build
	noCache  bool      // -no-cache: neither read nor write the parse cache
	progress *progress // counts the articles parsed, when drawing progress

	loadTime time.Duration // how long load took, configuration included
}

func (f *siteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.root, "root", ".", "site root: the directory holding content/, templates/ and kbgen.yaml")
	fs.StringVar(&f.baseURL, "base-url", "", "base URL the site is published at, e.g. https://example.github.io/kb/ (overrides baseURL in kbgen.yaml)")
}

// load reads the configuration and all articles. It prints the diagnostics
// to stderr in the given format and returns errFailed when there are errors.
func (f *siteFlags) load(ctx context.Context, stderr io.Writer, format string) (*site.Site, diag.List, error) {
	fsys := os.DirFS(f.root)
	if f.progress != nil {
		fsys = f.progress.fs(fsys)
	}
	cfg, diags := site.LoadConfig(fsys)
	if f.baseURL != "" {
		if err := cfg.SetBaseURL(f.baseURL); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	var s *site.Site
	if !diags.HasErrors() {
		var opts site.LoadOptions
		if !f.noCache {
			opts.ParseCache = filepath.Join(f.root, parseCacheFile)
			opts.Hollow = f.hollow && !f.review
		}
		var more diag.List
		var err error
		start := time.Now()
		s, more, err = site.LoadWith(ctx, fsys, cfg, opts)
		if err != nil {
			return nil, nil, err
		}
		f.loadTime = time.Since(start)
		diags = append(diags, more...)
		if f.review {
			diags = append(diags, s.Check(time.Now())...)
			diags.Sort()
		}
	}
	if err := writeDiags(stderr, diags, format); err != nil {
		return nil, nil, err
	}
	if diags.HasErrors() {
		return s, diags, errFailed
	}
	return s, diags, nil
}

func writeDiags(w io.Writer, diags diag.List, format string) error {
	switch format {
	case "json":
		return diag.WriteJSON(w, diags)
	case "github":
		return diag.WriteGitHub(w, diags)
	}
	return diag.WriteText(w, diags, isTerminal(w) && os.Getenv("NO_COLOR") == "")
}

func buildCmd() *command {
	var sf siteFlags
	var out string
	var quiet, verbose, noCache bool
	var prof profiles
	return &command{
		name:  "build",
		usage: "[-root dir] [-out dir] [-base-url url] [-quiet] [-v] [-no-cache]",
		short: "build the site from content/ into public/",
		long: `
Build checks every article under content/, renders the site with the default
templates (or the site's own templates/, file by file) and writes it to public/.

Problems in articles are printed as file:line:col: severity: message, all of
them in one run. If any is an error, build exits with status 1 and public/ is
left exactly as it was: the site is written beside it and swapped in only
when complete.

Build also writes the search index that 'kbgen search' queries to .kbgen/,
and two caches: a parse cache, so that the next build (or check) parses only
the articles that changed, and a build cache, so that the next build renders
only the pages that changed (an unchanged article is not rendered,
highlighted or written; an unchanged search index is not rebuilt). With the
build cache, the site a build replaces is kept in .kbgen/ and the next build
brings it up to date rather than writing a new one. The output is the same
with or without the caches; -no-cache parses and makes everything afresh.

Examples:

	kbgen build
	kbgen build -base-url https://example.github.io/kb/
	kbgen build -root ../support-kb -out /srv/www/kb
`,
		flags: func(fs *flag.FlagSet) {
			sf.register(fs)
			fs.StringVar(&out, "out", "public", "output directory, relative to the site root")
			fs.BoolVar(&quiet, "quiet", false, "print only problems, no summary")
			fs.BoolVar(&verbose, "v", false, "print the time of each stage of the build, and of each kind of work (parse, render, write, …)")
			fs.BoolVar(&noCache, "no-cache", false, "parse every article and make every file afresh, ignoring and not writing the caches in .kbgen/")
			fs.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the build to `file`")
			fs.StringVar(&prof.mem, "memprofile", "", "write a heap profile, taken when the live heap was largest, to `file`")
		},
		run: func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (err error) {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			start := time.Now()
			if os.Getenv("GOMEMLIMIT") == "" {
				defer debug.SetMemoryLimit(debug.SetMemoryLimit(buildMemoryLimit))
			}
			if buildAdvises(sf.root, noCache) {
				adviseHugePages(heapAdvice())
			}
			defer collectFrom(gcFloor)()
			if err := prof.start(); err != nil {
				return err
			}
			defer func() {
				if perr := prof.stop(); err == nil {
					err = perr
				}
			}()
			if !quiet && isTerminal(stderr) {
				p := startProgress(stderr)
				sf.progress = p
				stderr = p // diagnostics print above the progress line
				defer p.finish()
			}
			sf.noCache = noCache
			sf.hollow = true
			cache := filepath.Join(sf.root, cacheFile)
			var spare *site.SpareList
			if noCache {
				cache = ""
			} else {
				// Read while the site loads, rather than after.
				spare = site.ListSpare(cache)
			}
			s, diags, err := sf.load(ctx, stderr, "text")
			if err != nil {
				if err == errFailed {
					errs, warns := diags.Count()
					fmt.Fprintf(stderr, "kbgen build: %d errors, %d warnings: nothing written\n", errs, warns)
				}
				return err
			}
			if !filepath.IsAbs(out) {
				out = filepath.Join(sf.root, out)
			}
			st, err := s.Build(ctx, site.BuildOptions{
				Out:       out,
				Cache:     cache,
				Spare:     spare,
				IndexDir:  filepath.Join(sf.root, indexDir),
				Generator: "kbgen " + version(),
				Progress:  progressFunc(sf.progress),
			})
			if err != nil {
				return err
			}
			if verbose {
				fmt.Fprintf(stderr, "%-10s %v\n", "load", sf.loadTime.Round(time.Millisecond))
				for _, stg := range st.Stages {
					fmt.Fprintf(stderr, "%-10s %v\n", stg.Name, stg.Time.Round(time.Millisecond))
				}
				// The stages interleave kinds of work on every core; each
				// kind gets its share of their wall time (see site.Stats).
				fmt.Fprintln(stderr, "by kind of work (index and export run beside render, templates and write):")
				for _, k := range st.Work {
					fmt.Fprintf(stderr, "  %-10s %v\n", k.Name, k.Time.Round(time.Millisecond))
				}
				if cache != "" {
					ls := s.LoadStats()
					fmt.Fprintf(stderr, "%-10s %s of %s articles, from the parse cache (%s without their text)\n", "restored", thousands(ls.Restored), thousands(ls.Files), thousands(ls.Hollow))
					fmt.Fprintf(stderr, "%-10s %s of %s files, from the build cache\n", "reused", thousands(st.Reused), thousands(st.Files))
					fmt.Fprintf(stderr, "%-10s %s of %s pages, whose dependencies changed\n", "keyed", thousands(st.Keyed), thousands(st.Pages))
					fmt.Fprintf(stderr, "%-10s %s of %s pages, from the templates (those of the same bytes kept all the same)\n", "made", thousands(st.Made), thousands(st.Pages))
				}
			}
			if sf.progress != nil {
				sf.progress.finish()
			}
			if !quiet {
				_, warns := diags.Count()
				fmt.Fprintf(stderr, "%s articles, %s pages, 0 errors, %d warnings in %.1fs\n",
					thousands(st.Articles), thousands(st.Pages), warns, time.Since(start).Seconds())
			}
			return nil
		},
	}
}

// progressFunc returns p.step, or nil when there is no progress display.
func progressFunc(p *progress) func(string, int, int) {
	if p == nil {
		return nil
	}
	return p.step
}

// thousands formats n with comma separators (1,234).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// buildMemoryLimit is the soft limit on the memory of the Go runtime that
// build sets unless GOMEMLIMIT is set (debug.SetMemoryLimit): near it, the
// garbage collector runs more often instead of letting the heap grow to
// twice what is live. A large site holds its parsed articles for the whole
// build (1.5 GB at 100,000 generated articles), and with the collector's
// default headroom and the search index's mapped files on top, such a
// build peaked at 5.5 GiB; with the limit it peaks at 3.4 GiB, for about 6%
// more wall time and 16% more CPU (measured in one session). The mapped files are not counted in the limit, hence 3 GiB
// for a 4 GiB peak. Sites of up to some 30,000 articles never reach it
// (10,000 peak at 1.9 GB), and one whose live data exceeds it still
// builds, collecting more often.
const buildMemoryLimit = 3 << 30

// buildAdvises reports whether kbgen build advises its heap for huge
// pages (adviseHugePages): only when it will make every file, without the
// build cache of the site at root, or told not to use it. A build from the
// cache makes again what an edit changed, and its heap stays small: the
// advice made a one-article rebuild at 10,000 articles slower, medians
// 697.5 and 675 ms against 657.5 and 631.5 ms (twelve alternating edits,
// twice), where full builds gain from it (see internal/bench/results.md,
// Huge pages).
func buildAdvises(root string, noCache bool) bool {
	_, err := os.Stat(filepath.Join(root, cacheFile))
	return noCache || err != nil
}

// heapAdvice is how much heap build and check advise for huge pages
// (adviseHugePages): as much as build's memory limit lets the runtime
// use, or GOMEMLIMIT if that is lower. It is address space, not memory.
func heapAdvice() int64 { return min(debug.SetMemoryLimit(-1), buildMemoryLimit) }

// profiles writes the profiles that build's -cpuprofile and -memprofile
// ask for. The heap profile is the one taken when the live heap was
// largest: a profile at the end shows what survives the build, not what
// made its peak, and the peak is what decides whether a large site fits
// in memory.
type profiles struct {
	cpu, mem string // file names; "" for none

	cpuFile *os.File
	quit    chan struct{} // closed to stop the heap sampler
	done    chan struct{} // closed when the sampler has stopped
	peak    []byte        // heap profile at the largest live heap seen
	live    uint64        // that live heap, bytes
}

// heapSampleEvery is how often the sampler looks for a new live-heap peak.
// The live heap changes only when a GC cycle ends, and a cycle of a large
// build takes about this long.
const heapSampleEvery = 250 * time.Millisecond

func (p *profiles) start() error {
	if p.cpu != "" {
		f, err := os.Create(p.cpu)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("cpu profile: %w", err)
		}
		p.cpuFile = f
	}
	if p.mem != "" {
		p.quit, p.done = make(chan struct{}), make(chan struct{})
		go p.sampleHeap()
	}
	return nil
}

// sampleHeap keeps a heap profile of the largest live heap seen after each
// GC cycle, until p.quit is closed. Profiles are kept in memory (a few
// hundred kilobytes) and written once, by stop.
func (p *profiles) sampleHeap() {
	defer close(p.done)
	ms := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	var cycles uint64
	t := time.NewTicker(heapSampleEvery)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		metrics.Read(ms)
		live, n := ms[0].Value.Uint64(), ms[1].Value.Uint64()
		if n == cycles || live <= p.live {
			continue
		}
		cycles = n
		p.snapshot(live)
	}
}

// snapshot records the heap profile, whose in-use figures are those of a
// recent GC cycle (runtime/pprof: up to two cycles old), of a live heap
// of about live bytes.
func (p *profiles) snapshot(live uint64) {
	var b bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&b, 0); err == nil {
		p.peak, p.live = b.Bytes(), live
	}
}

// stop ends the CPU profile and writes the heap profile.
func (p *profiles) stop() error {
	var err error
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		if cerr := p.cpuFile.Close(); cerr != nil {
			err = fmt.Errorf("cpu profile: %w", cerr)
		}
	}
	if p.mem == "" {
		return err
	}
	close(p.quit)
	<-p.done
	runtime.GC() // what is still live at the end, if that is the peak
	ms := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(ms)
	if live := ms[0].Value.Uint64(); live > p.live || p.peak == nil {
		p.snapshot(live)
	}
	if werr := os.WriteFile(p.mem, p.peak, 0o644); werr != nil && err == nil {
		err = fmt.Errorf("heap profile: %w", werr)
	}
	return err
}
