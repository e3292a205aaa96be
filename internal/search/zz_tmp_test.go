package search

import (
	"os"
	"path/filepath"
	"testing"
)

func TestZZExport10k(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	docs, _ := generatedCorpus(t, 10000)
	ix, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	os.RemoveAll("/tmp/exp10k")
	v, err := ix.Export("/tmp/exp10k")
	if err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join("/tmp/exp10k", v), "/tmp/exp10k/cur")
}
