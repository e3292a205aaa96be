package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseCacheFlags checks how build and check use the parse cache:
// build and check write it and the next run restores from it (build -v
// says how many articles), and -no-cache neither reads nor writes it.
func TestParseCacheFlags(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"content/ja/kms.md": seed(t)})
	cache := filepath.Join(root, parseCacheFile)
	run1 := func(args ...string) string {
		t.Helper()
		var stderr bytes.Buffer
		if code := run(t.Context(), append(args, "-root", root), &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("kbgen %s exited %d: %s", strings.Join(args, " "), code, stderr.String())
		}
		return stderr.String()
	}

	run1("build", "-no-cache")
	run1("check", "-no-cache")
	if _, err := os.Stat(cache); err == nil {
		t.Fatalf("-no-cache wrote %s", parseCacheFile)
	}

	run1("check")
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("check wrote no parse cache: %v", err)
	}
	if out := run1("build", "-v"); !strings.Contains(out, "restored   1 of 1 articles, from the parse cache") {
		t.Errorf("build -v after check:\n%s\nwant the article restored from the parse cache", out)
	}

	// A cache that -no-cache would misread if it read it.
	if err := os.WriteFile(cache, []byte("not a cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	run1("build", "-no-cache")
	if b, err := os.ReadFile(cache); err != nil || string(b) != "not a cache" {
		t.Errorf("build -no-cache changed %s", parseCacheFile)
	}
	if out := run1("build", "-v"); !strings.Contains(out, "restored   0 of 1 articles") {
		t.Errorf("build -v with a file that is no cache:\n%s\nwant no article restored", out)
	}
}
