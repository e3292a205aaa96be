package main

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws a one-line progress display of a build on a terminal —
// articles parsed, indexed and rendered — redrawn in place ten times a
// second, and erased when the build ends so that only the summary line
// stays. It is used only when stderr is a terminal and -quiet is not set.
//
// A progress is itself the writer for the build's other output: a line
// written through it erases the display first, and the next tick draws it
// again below.
type progress struct {
	mu    sync.Mutex // serialises writes to w
	w     io.Writer
	files atomic.Int64 // Markdown files under content/, counted before parsing
	// parsed counts the article files read: Load reads each just before
	// parsing it, so counting reads through the fs.FS it is given shows
	// the parse's progress without a hook in package site.
	parsed   atomic.Int64
	indexed  atomic.Int64
	rendered atomic.Int64
	articles atomic.Int64 // published articles, the total to index and render

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// startProgress starts drawing on w.
func startProgress(w io.Writer) *progress {
	p := &progress{w: w, stop: make(chan struct{})}
	p.wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				p.mu.Lock()
				fmt.Fprint(p.w, "\r\x1b[K")
				p.mu.Unlock()
				return
			case <-tick.C:
				p.mu.Lock()
				fmt.Fprintf(p.w, "\r\x1b[K%s", p.line())
				p.mu.Unlock()
			}
		}
	})
	return p
}

// line is the text of the display.
func (p *progress) line() string {
	files, articles := int(p.files.Load()), int(p.articles.Load())
	parts := []string{fmt.Sprintf("parsed %s/%s", thousands(int(min(p.parsed.Load(), int64(files)))), thousands(files))}
	indexed, rendered := int(p.indexed.Load()), int(p.rendered.Load())
	switch {
	case articles == 0:
	case indexed == 0:
		// The search index is built in one step of several seconds.
		parts = append(parts, fmt.Sprintf("indexing %s articles…", thousands(articles)))
	case rendered < articles:
		parts = append(parts, fmt.Sprintf("indexed %s", thousands(indexed)), fmt.Sprintf("rendered %s/%s", thousands(rendered), thousands(articles)))
	default:
		parts = append(parts, fmt.Sprintf("indexed %s", thousands(indexed)), fmt.Sprintf("rendered %s", thousands(rendered)), "writing list pages…")
	}
	return "kbgen build: " + strings.Join(parts, " · ")
}

// Write writes b on a fresh line, after erasing the display.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, "\r\x1b[K"); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

// finish erases the display; the caller prints the summary after it. It
// may be called more than once.
func (p *progress) finish() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
}

// step is site.BuildOptions.Progress.
func (p *progress) step(stage string, done, total int) {
	p.articles.Store(int64(total))
	switch stage {
	case "indexed":
		p.indexed.Store(int64(done))
	case "rendered":
		p.rendered.Store(int64(done))
	}
}

// fs returns fsys counting the article files read from it, and counts the
// files there are to read.
func (p *progress) fs(fsys fs.FS) fs.FS {
	n := 0
	fs.WalkDir(fsys, "content", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if path != "content" && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil // skipped by site.Load too
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			n++
		}
		return nil
	})
	p.files.Store(int64(n))
	return countingFS{fsys, &p.parsed}
}

// countingFS counts the .md files read from it.
type countingFS struct {
	fs.FS
	n *atomic.Int64
}

func (c countingFS) count(name string) {
	if strings.HasSuffix(name, ".md") {
		c.n.Add(1)
	}
}

func (c countingFS) Open(name string) (fs.File, error) {
	c.count(name)
	return c.FS.Open(name)
}

func (c countingFS) ReadFile(name string) ([]byte, error) {
	c.count(name)
	return fs.ReadFile(c.FS, name)
}

func (c countingFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(c.FS, name) }

func (c countingFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(c.FS, name) }
