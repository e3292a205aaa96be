package main

// Helpers of the tests that run the kbgen binary, on every system.

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// buildBinary compiles kbgen into a temporary directory once per test and
// returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kbgen")
	if runtime.GOOS == "windows" {
		bin += ".exe" // what Windows runs
	}
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tree maps each file below a directory (slash path) to its SHA-256.
type tree map[string][32]byte

func hashTree(t *testing.T, dir string) tree {
	t.Helper()
	m := make(tree)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = sha256.Sum256(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diff describes how a differs from b, or returns "" if they are equal.
func (a tree) diff(b tree) string {
	var missing, extra, changed []string
	for name, h := range b {
		switch ah, ok := a[name]; {
		case !ok:
			missing = append(missing, name)
		case ah != h:
			changed = append(changed, name)
		}
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			extra = append(extra, name)
		}
	}
	if len(missing)+len(extra)+len(changed) == 0 {
		return ""
	}
	list := func(s []string) string {
		slices.Sort(s)
		if len(s) > 5 {
			return fmt.Sprintf("%q and %d more", s[:5], len(s)-5)
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%d files missing %s, %d extra %s, %d changed %s",
		len(missing), list(missing), len(extra), list(extra), len(changed), list(changed))
}
