package site

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestStampDirs checks the stamps a build adds for the cache file once
// it has written its last file: those of the directories the listing
// found without one, of those the build made, with the parents made with
// them, and of the search export's; not the spare's root, not one that
// changed after the build began taking them (here, a time in the
// future), and not one that is gone. It checks them with and without a
// listing's stamps before, and that their encoding is theirs.
func TestStampDirs(t *testing.T) {
	for _, listed := range []bool{true, false} {
		t.Run(fmt.Sprintf("listed=%v", listed), func(t *testing.T) {
			dir := t.TempDir()
			past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
			for _, d := range []string{"a/made/deeper", "read", "late", "search/v1/t"} {
				if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range []string{"a", "a/made", "a/made/deeper", "read", "search", "search/v1", "search/v1/t"} {
				if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(d)), past, past); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chtimes(filepath.Join(dir, "late"), future, future); err != nil {
				t.Fatal(err)
			}
			statDir := func(d string) dirMTime {
				t.Helper()
				var st syscall.Stat_t
				if err := syscall.Lstat(filepath.Join(dir, filepath.FromSlash(d)), &st); err != nil {
					t.Fatal(err)
				}
				return dirMTime{MTime: st.Mtim.Nano(), Inode: st.Ino}
			}
			w := &writer{dir: dir, next: map[string]cachedFile{}}
			want := map[string]dirMTime{}
			if listed {
				// a is as the listing recorded it, stale or not: kept.
				w.seen = map[string]dirMTime{"a": {MTime: 1, Inode: 2}}
				w.seenRaw = encodeDirs(w.seen)
				w.unseen = []string{".", "read", "late", "gone"}
				want["a"] = dirMTime{MTime: 1, Inode: 2}
			} else {
				w.unseen = []string{"."}
				w.dirs.Store(filepath.Join(dir, "read"), true)
				w.dirs.Store(filepath.Join(dir, "late"), true)
				want["a"] = statDir("a")
			}
			w.dirs.Store(filepath.Join(dir, "a", "made", "deeper"), true) // a/made made by MkdirAll with it
			w.dirs.Store(filepath.Join(dir, "removed"), false)
			w.exportFiles = []namedFile{
				{name: "search/index.json"},
				{prefix: "search/v1/", name: "t/x.json"},
				{prefix: "search/v1/", name: "y.json"},
			}
			for _, d := range []string{"a/made", "a/made/deeper", "read", "search", "search/v1", "search/v1/t"} {
				want[d] = statDir(d)
			}
			if err := w.stampDirs(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w.seen, want) {
				t.Errorf("stamps = %v\nwant %v", w.seen, want)
			}
			d := decoder{buf: w.seenRaw}
			if got := d.dirs(); d.bad || len(d.buf) > 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("encoded stamps decode to %v (bad %v, %d bytes left)\nwant %v", got, d.bad, len(d.buf), want)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if want := []string{"a", "late", "read", "search"}; !slices.Equal(names, want) {
				t.Errorf("the build directory holds %q, want %q", names, want)
			}
		})
	}
}
