package site

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/corpus"
)

// benchSizes are the corpus sizes BenchmarkBuild runs: 1,000 articles by
// default, so that go test -bench . ./... stays short, or the comma-separated
// list in KBGEN_BENCH_SIZES (KBGEN_BENCH_SIZES=1000,10000).
func benchSizes(b *testing.B) []int {
	env := os.Getenv("KBGEN_BENCH_SIZES")
	if env == "" {
		return []int{1000}
	}
	var sizes []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(f, "_", "")))
		if err != nil || n <= 0 {
			b.Fatalf("KBGEN_BENCH_SIZES: %q is not a positive number", f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// benchCorpus writes a generated corpus of n articles into a temporary
// directory and returns it.
func benchCorpus(b *testing.B, n int) string {
	root := b.TempDir()
	if _, err := corpus.Write(root, n, 1); err != nil {
		b.Fatal(err)
	}
	return root
}

// BenchmarkBuild measures what kbgen build does, in process: load (read,
// parse and check every article, resolve links) and Build (templates,
// search index and export, articles, lists, publish) of a generated corpus
// read from disk, with the bleve index on disk as the CLI keeps it. Besides
// ns/op it reports articles/s and the time of each stage per build, so a
// regression shows where it is:
//
//	go test ./internal/site -run '^$' -bench Build -benchtime 3x
//	KBGEN_BENCH_SIZES=1000,10000 go test ./internal/site -run '^$' -bench Build -benchtime 1x -cpuprofile cpu.out
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			root := benchCorpus(b, n)
			fsys := os.DirFS(root)
			opts := BuildOptions{
				Out:       filepath.Join(root, "public"),
				IndexDir:  filepath.Join(root, ".kbgen", "index"),
				Generator: "kbgen benchmark",
			}
			ctx := context.Background()
			var order []string
			stages := make(map[string]time.Duration)
			add := func(name string, d time.Duration) {
				if _, ok := stages[name]; !ok {
					order = append(order, name)
				}
				stages[name] += d
			}
			iters := 0
			for b.Loop() {
				start := time.Now()
				cfg, diags := LoadConfig(fsys)
				s, more, err := Load(ctx, fsys, cfg)
				if err != nil {
					b.Fatal(err)
				}
				if diags = append(diags, more...); diags.HasErrors() {
					b.Fatalf("Load: %d diagnostics, first %v", len(diags), diags[0])
				}
				add("load", time.Since(start))
				st, err := s.Build(ctx, opts)
				if err != nil {
					b.Fatal(err)
				}
				if st.Articles != n {
					b.Fatalf("Build: %d articles, want %d", st.Articles, n)
				}
				for _, stg := range st.Stages {
					add(stg.Name, stg.Time)
				}
				iters++
			}
			b.ReportMetric(float64(n*iters)/b.Elapsed().Seconds(), "articles/s")
			for _, name := range order {
				b.ReportMetric(float64(stages[name].Milliseconds())/float64(iters), name+"-ms/op")
			}
		})
	}
}
