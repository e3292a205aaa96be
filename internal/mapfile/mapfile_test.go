package mapfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMap checks that Map gives a file's bytes, keeps giving them once the
// file is replaced (Replace), gives none for an empty file, and fails for
// a directory and a missing file.
func TestMap(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "cache")
	want := bytes.Repeat([]byte("kbgen cache bytes\n"), 1000) // several pages
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Map(name)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Map = %d bytes, %v; want the file's %d bytes", len(got), err, len(want))
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(tmp, name); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the mapped bytes changed when the file was replaced")
	}
	if b, err := Map(name); err != nil || string(b) != "new" {
		t.Errorf("Map of the new file = %q, %v; want \"new\"", b, err)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Map(empty); err != nil || len(b) != 0 {
		t.Errorf("Map of an empty file = %q, %v; want no bytes, no error", b, err)
	}
	for _, bad := range []string{dir, filepath.Join(dir, "missing")} {
		if b, err := Map(bad); err == nil {
			t.Errorf("Map(%s) = %d bytes, no error; want an error", bad, len(b))
		}
	}
}

// TestReplace checks that Replace puts the new file in place of
// an old one or of none, and leaves both when the name is held by what
// it cannot remove.
func TestReplace(t *testing.T) {
	dir := t.TempDir()
	name, tmp := filepath.Join(dir, "cache"), filepath.Join(dir, "cache.tmp")
	for i, old := range []string{"", "old"} {
		if old != "" {
			if err := os.WriteFile(name, []byte(old), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Replace(tmp, name); err != nil {
			t.Fatalf("case %d: Replace: %v", i, err)
		}
		if b, err := os.ReadFile(name); err != nil || string(b) != "new" {
			t.Errorf("case %d: %s holds %q, %v; want \"new\"", i, name, b, err)
		}
		if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("case %d: %s is still there: %v", i, tmp, err)
		}
	}
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(name, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(tmp, name); err == nil {
		t.Error("Replace over a directory that is not empty succeeded")
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("the new file is gone after a failed Replace: %v", err)
	}
}

// TestWrite checks that Write replaces a file, mapped or not, leaving no
// temporary file, that a failed write leaves the old file and none, and
// that a pending file is in place only once replaced, and gone once
// discarded.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "sub", "cache")
	put := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	left := func(step string) {
		t.Helper()
		if m, _ := filepath.Glob(name + ".tmp*"); len(m) > 0 {
			t.Errorf("%s: left %q", step, m)
		}
	}
	if err := Write(name, put("one")); err != nil {
		t.Fatal(err)
	}
	old, err := Map(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(name, put("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "two" || string(old) != "one" {
		t.Errorf("after Write the file holds %q and the mapping %q; want \"two\" and \"one\"", b, old)
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the file written is %v, %v; want mode 0644", fi, err)
	}
	left("written")

	failed := errors.New("failed")
	if err := Write(name, func(w io.Writer) error { put("half")(w); return failed }); !errors.Is(err, failed) {
		t.Errorf("Write of a failing write = %v, want its error", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "two" {
		t.Errorf("a failed Write left %q, want \"two\"", b)
	}
	left("failed")

	p, err := WritePending(name, put("three"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "two" {
		t.Errorf("a pending file is in place before Replace: %q", b)
	}
	p.Discard()
	left("discarded")
	if b, _ := os.ReadFile(name); string(b) != "two" {
		t.Errorf("a discarded file replaced the old one: %q", b)
	}
	if p, err = WritePending(name, put("four")); err != nil {
		t.Fatal(err)
	}
	if err := p.Replace(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "four" {
		t.Errorf("after Replace the file holds %q, want \"four\"", b)
	}
	left("replaced")
}

// TestRemoveStale checks that writing a file removes the temporary files
// of earlier writes of it that no process is writing: those unchanged for
// staleAge and, where there are locks, unlocked. A recent one, a locked
// one (a writer still at work) and another file's are kept.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "cache")
	old := time.Now().Add(-2 * staleAge)
	leave := func(base string, mtime time.Time) string {
		t.Helper()
		p := filepath.Join(dir, base)
		if err := os.WriteFile(p, []byte("left"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := leave("cache.tmp123", old)
	recent := leave("cache.tmp456", time.Now())
	other := leave("other.tmp789", old)
	locked := leave("cache.tmp999", old)
	f, err := os.Open(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	haveLocks := lock(f) // as a writer holds its file's lock

	p, err := WritePending(name, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("a stale temporary file was left")
	}
	for _, kept := range []string{recent, other, p.tmp} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(kept), err)
		}
	}
	if _, err := os.Stat(locked); haveLocks && err != nil {
		t.Errorf("the temporary file of a writer still at work was removed")
	}
	// The pending file is locked while it waits: a write meanwhile, with
	// the pending file made to look stale, keeps it.
	if err := os.Chtimes(p.tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := Write(name, func(w io.Writer) error { _, err := io.WriteString(w, "other"); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.tmp); haveLocks && err != nil {
		t.Errorf("a pending file was removed while it waited")
	}
	if err := p.Replace(); haveLocks && err != nil {
		t.Errorf("Replace of the pending file: %v", err)
	}
}
