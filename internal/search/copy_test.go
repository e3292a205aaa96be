package search

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCopyIndex checks that an Update in a copy of an index starts from
// it, as a dev server starting from a build's index must: the copy's
// directory is kept (an index Update cannot use is rebuilt in a new one)
// and the next export is made from the copied state, and both give the
// export of a clean build. It also checks that an index open in an
// Update is not copied and leaves nothing behind.
func TestCopyIndex(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	src, dst := filepath.Join(tmp, "src"), filepath.Join(tmp, "dst")
	docs := internalCorpus(t, 300)
	ix, err := Update(ctx, src, docs)
	if err != nil {
		t.Fatal(err)
	}
	busy := CopyIndex(dst, src)
	if errors.Is(busy, errors.ErrUnsupported) {
		ix.Close()
		t.Skip("CopyIndex copies nothing on this system")
	}
	if busy == nil {
		t.Error("CopyIndex copied an index open in an Update")
	}
	for _, p := range []string{dst, statePath(dst)} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("refused copy left %s: %v", p, err)
		}
	}
	// An export with a Reuse, whose state Close writes beside the index;
	// the next takes its files over where they did not change.
	pub := filepath.Join(tmp, "pub")
	link := exportLinkable(t, ix, pub, docs)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(statePath(src))
	if err != nil {
		t.Fatal(err)
	}

	if err := CopyIndex(dst, src); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(statePath(dst)); err != nil || !bytes.Equal(got, state) {
		t.Errorf("copied state: %d bytes, %v; want the source's %d", len(got), err, len(state))
	}
	if err := CopyIndex(dst, src); err == nil {
		t.Error("CopyIndex copied over an existing index")
	}
	before, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	edited := slices.Clone(docs)
	edited[17].Body += "\n追記: 再起動後に rare-zebra で再試行してください。"
	ix, err = Update(ctx, dst, edited)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if after, err := os.Stat(dst); err != nil || !os.SameFile(before, after) {
		t.Errorf("Update did not start from the copy: its directory was replaced (%v)", err)
	}
	if _, err := ix.ExportAs(pub, Version(edited), Base{}, link); err != nil {
		t.Fatal(err)
	}
	if !ix.lastDelta {
		t.Error("the export after the copy was not made from the copied state")
	}
	if d := treeDifference(readTree(t, filepath.Join(pub, Version(edited))), cleanExport(t, edited)); d != "" {
		t.Errorf("export from the copy differs from a clean build's: %s", d)
	}
}

// exportLinkable exports ix, an index of docs, under pub, hashing every
// file, and returns the Reuse of a later export that links the files of
// this one it asks for by name and content.
func exportLinkable(t *testing.T, ix *Index, pub string, docs []Doc) Reuse {
	t.Helper()
	never := func(string, Sum, string) bool { return false }
	sums, err := ix.ExportAs(pub, Version(docs), Base{}, never)
	if err != nil {
		t.Fatal(err)
	}
	return func(name string, sum Sum, dst string) bool {
		return sums[name] == sum && os.Link(filepath.Join(pub, Version(docs), filepath.FromSlash(name)), dst) == nil
	}
}
