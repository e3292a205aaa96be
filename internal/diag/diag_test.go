package diag

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sample() List {
	var l List
	l.Warnf(Pos{File: "content/en/a.md", Line: 31, Col: 1}, "unknown section %q", "Notes")
	l.Errorf(Pos{File: "content/ja/kms.md", Line: 14, Col: 1}, "missing section %q (expected after %q)", "根本対策", "5分で解決")
	l.Errorf(Pos{File: "content/ja/kms.md", Line: 4, Col: 7}, "tags: want a list of strings, got a string")
	l.Errorf(Pos{File: "kbgen.yaml"}, "message with 100%% and a\nnewline, and: a colon")
	l.Sort()
	return l
}

func TestSortAndCount(t *testing.T) {
	l := sample()
	want := []string{"content/en/a.md", "content/ja/kms.md", "content/ja/kms.md", "kbgen.yaml"}
	for i, d := range l {
		if d.Pos.File != want[i] {
			t.Errorf("after Sort, diagnostic %d is in %s, want %s", i, d.Pos.File, want[i])
		}
	}
	if l[1].Pos.Line != 4 {
		t.Errorf("after Sort, line 4 does not come before line 14 in the same file")
	}
	if e, w := l.Count(); e != 3 || w != 1 {
		t.Errorf("Count() = %d, %d, want 3, 1", e, w)
	}
	if l.Err() == nil || (List{}).Err() != nil || !l.HasErrors() {
		t.Errorf("Err/HasErrors disagree with the list")
	}
}

func TestCol(t *testing.T) {
	line := []byte("## よくある原因 x")
	if got := Col(line, len("## よくある原因 ")); got != 11 {
		t.Errorf("Col = %d, want 11 (characters, not bytes)", got)
	}
}

func TestWriters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"text.golden", func(b *bytes.Buffer) error { return WriteText(b, sample(), false) }},
		{"color.golden", func(b *bytes.Buffer) error { return WriteText(b, sample(), true) }},
		{"json.golden", func(b *bytes.Buffer) error { return WriteJSON(b, sample()) }},
		{"github.golden", func(b *bytes.Buffer) error { return WriteGitHub(b, sample()) }},
	} {
		var b bytes.Buffer
		if err := tc.write(&b); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("testdata", tc.name)
		if *update {
			if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs:\n%s\nwant:\n%s", file, b.Bytes(), want)
		}
	}
}
