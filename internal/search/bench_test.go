package search

import (
	"context"
	"strconv"
	"testing"
)

// benchSizes are the corpus sizes benchmarks run on: 1,000 articles, and
// 10,000 with -large.
func benchSizes() []int {
	if *large {
		return []int{1000, 10000}
	}
	return []int{1000}
}

// BenchmarkBuild indexes a generated corpus in memory and on disk, with
// several batch sizes (the default is batchSize), and reports the share of
// the time spent in the statistics walk.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes() {
		docs, _ := generatedCorpus(b, n)
		for _, batch := range []int{100, 250, 500, 1000, 5000} {
			for _, disk := range []bool{false, true} {
				name := "n=" + strconv.Itoa(n) + "/batch=" + strconv.Itoa(batch) + "/mem"
				if disk {
					name = name[:len(name)-3] + "disk"
				}
				b.Run(name, func(b *testing.B) {
					cpu0 := cpuTime()
					for i := 0; i < b.N; i++ {
						dir := ""
						if disk {
							dir = b.TempDir() + "/index"
						}
						ix, err := build(context.Background(), dir, docs, batch)
						if err != nil {
							b.Fatal(err)
						}
						ix.Close()
					}
					b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
					b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
				})
			}
		}
	}
}

// BenchmarkStats times the walk Build makes to average field lengths.
func BenchmarkStats(b *testing.B) {
	for _, n := range benchSizes() {
		docs, _ := generatedCorpus(b, n)
		ix, err := Build("", docs)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := statsOf(ix.bi, n); err != nil {
					b.Fatal(err)
				}
			}
		})
		ix.Close()
	}
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes() {
		docs, manifest := generatedCorpus(b, n)
		ix, err := Build("", docs)
		if err != nil {
			b.Fatal(err)
		}
		code := string(sortedCodes(manifest)[len(manifest)/2])
		for _, q := range []struct{ name, text string }{
			{"code", code},
			{"code-prefix", code[:7]},
			{"code-and-words", "エラー " + code + " KMS"},
			{"ja", "ライセンス認証"},
			{"ja-two-words", "ライセンス認証 時刻同期"},
			{"en", "activation"},
			{"en-prefix", "activ"},
			{"mixed", "KMS 認証"},
		} {
			b.Run("n="+strconv.Itoa(n)+"/"+q.name, func(b *testing.B) {
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					if _, err := ix.Search(Query{Text: q.text}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
		ix.Close()
	}
}

func BenchmarkExport(b *testing.B) {
	for _, n := range benchSizes() {
		docs, _ := generatedCorpus(b, n)
		ix, err := Build("", docs)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := ix.Export(b.TempDir()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
		ix.Close()
	}
}
