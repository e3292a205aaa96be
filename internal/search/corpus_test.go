package search

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/errcode"
)

// This file turns Markdown test corpora into Docs. The site does this with
// internal/article; the tests only need enough of it to give the index
// realistic input: a frontmatter split with scalar and inline-list values,
// headings, the first section as Summary, and the raw body as Body.

// sharedDir is ../shared from the repository root: the generated-corpus
// tool and the msdocs corpus live there, outside the repository.
const sharedDir = "../../../shared"

// corpusOptions says which codes an article carries.
type corpusOptions struct {
	// allCodes takes every code written anywhere in the file; otherwise
	// codes come from the title, errorText and the body outside the
	// related-cases section, as article.Article.Codes does.
	allCodes bool
}

// loadCorpus reads every .md file under root into a Doc whose ID is the
// path relative to root.
func loadCorpus(t testing.TB, root string, opt corpusOptions) []Doc {
	t.Helper()
	var docs []Doc
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		docs = append(docs, parseTestArticle(filepath.ToSlash(rel), string(src), opt))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	return docs
}

func parseTestArticle(id, src string, opt corpusOptions) Doc {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	d := Doc{ID: id}
	body := src
	if strings.HasPrefix(src, "---\n") {
		if end := strings.Index(src[4:], "\n---"); end >= 0 {
			fm := src[4 : 4+end]
			body = src[4+end+4:]
			if i := strings.IndexByte(body, '\n'); i >= 0 {
				body = body[i+1:]
			}
			for _, line := range strings.Split(fm, "\n") {
				k, v, ok := strings.Cut(line, ":")
				if !ok || strings.HasPrefix(line, " ") {
					continue
				}
				v = strings.TrimSpace(v)
				switch k {
				case "title":
					d.Title = unquote(v)
				case "errorText":
					d.ErrorText = unquote(v)
				case "lang":
					d.Lang = unquote(v)
				case "updatedAt":
					d.UpdatedAt, _ = time.Parse(time.RFC3339, unquote(v))
				case "tags":
					for _, t := range strings.Split(strings.Trim(v, "[]"), ",") {
						if t = unquote(strings.TrimSpace(t)); t != "" {
							d.Tags = append(d.Tags, t)
						}
					}
				}
			}
		}
	}
	if d.Lang == "" {
		d.Lang = "en"
	}
	var carried strings.Builder
	section, inRelated, first := 0, false, true
	var summary strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "#"); ok {
			h = strings.TrimSpace(strings.TrimLeft(h, "#"))
			d.Headings = append(d.Headings, h)
			if strings.HasPrefix(line, "## ") {
				section++
				inRelated = h == "関連ケース" || h == "Related cases"
				first = section == 1
			}
			continue
		}
		if first && section <= 1 {
			summary.WriteString(line)
			summary.WriteByte('\n')
		}
		if !inRelated {
			carried.WriteString(line)
			carried.WriteByte('\n')
		}
	}
	d.Body = body
	d.Summary = strings.TrimSpace(summary.String())
	scan := d.Title + "\n" + d.ErrorText + "\n" + carried.String()
	if opt.allCodes {
		scan = src
	}
	d.Codes = errcode.Unique(errcode.Find(scan))
	return d
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// generatedCorpus runs gencorpus.py for n articles into a cached
// directory and returns the corpus and its code manifest (code → IDs).
// It skips the test when python3 or ../shared is not there.
func generatedCorpus(t testing.TB, n int) ([]Doc, map[errcode.Code][]string) {
	t.Helper()
	tool := filepath.Join(sharedDir, "tools", "gencorpus.py")
	if _, err := os.Stat(tool); err != nil {
		t.Skipf("no corpus generator: %v", err)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	dir := filepath.Join(os.TempDir(), "kbgen-search-corpus", strconv.Itoa(n))
	manifest := dir + ".tsv"
	if _, err := os.Stat(manifest); err != nil {
		os.RemoveAll(dir)
		cmd := exec.Command(py, tool, "--n", strconv.Itoa(n), "--out", dir, "--manifest", manifest+".tmp")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gencorpus: %v\n%s", err, out)
		}
		if err := os.Rename(manifest+".tmp", manifest); err != nil {
			t.Fatal(err)
		}
	}
	docs := loadCorpus(t, dir, corpusOptions{})
	return docs, readCodeManifest(t, manifest)
}

// readCodeManifest reads "code<TAB>path[<TAB>…]" lines.
func readCodeManifest(t testing.TB, path string) map[errcode.Code][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[errcode.Code][]string)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			continue
		}
		c, ok := errcode.Parse(f[0])
		if !ok {
			t.Fatalf("%s: bad code %q", path, f[0])
		}
		out[c] = append(out[c], f[1])
	}
	return out
}
