package site

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/schema"
)

// futureSlack is how far past now an updatedAt may lie before Check calls it
// in the future. Authors write their local date or time: "2025-11-03" is
// midnight UTC, which in Japan is already 09:00, and UTC+14 is the largest
// offset in use. Anything later than that is a typo (a wrong year or month),
// which would pin the article to the top of every list.
const futureSlack = 14 * time.Hour

// Check reports the problems that are not wrong in any one file but
// suspicious across the site or against the clock, all as warnings:
//
//   - two articles of the same language with the same primary error code
//     (Article.Codes[0]): probably a duplicate, reported on each of them at
//     its title, unless one links to the other: an author who links two
//     articles about one code (a different cause under 関連ケース, say)
//     knows they are different cases;
//   - an updatedAt later than now (see futureSlack), at the value;
//   - an article that mentions no error code at all, at its title;
//   - placeholder text left by kbgen new (schema.Placeholder) in an article
//     whose sections the schema does not check; where the schema checks them,
//     schema.Check already reports each placeholder section.
//
// Drafts are included: a draft that duplicates a published article is worth
// knowing about before it is published. now is a parameter so that tests
// are independent of the clock. It returns the list sorted.
func (s *Site) Check(now time.Time) diag.List {
	var diags diag.List
	files := make([]string, 0, len(s.byFile))
	for f := range s.byFile {
		files = append(files, f)
	}
	slices.Sort(files)

	type key struct {
		lang string
		code errcode.Code
	}
	byPrimary := make(map[key][]*Page)
	for _, f := range files {
		p := s.byFile[f]
		if len(p.Codes) > 0 {
			k := key{p.Lang, p.Codes[0]}
			byPrimary[k] = append(byPrimary[k], p)
		}
	}

	// The articles each links to, for the pages with a duplicate only,
	// each found once: a code shared by a hundred articles made ten
	// thousand pairs to look at.
	links := make(map[*Page]map[string]bool)
	linked := func(p *Page) map[string]bool {
		if l, ok := links[p]; ok {
			return l
		}
		l := linkedFiles(p)
		links[p] = l
		return l
	}
	for _, f := range files {
		p := s.byFile[f]
		keys := s.files[f].keys
		if len(p.Codes) == 0 {
			diags.Warnf(keys.title, "article mentions no error code: want one in the title, errorText or codes")
		} else if dups := byPrimary[key{p.Lang, p.Codes[0]}]; len(dups) > 1 {
			var others []string
			for _, d := range dups {
				if d != p && !linked(p)[d.Path] && !linked(d)[p.Path] {
					others = append(others, fmt.Sprintf("%q", d.Path))
				}
			}
			if len(others) > 3 {
				others = append(others[:3], fmt.Sprintf("%d more", len(others)-3))
			}
			if len(others) > 0 {
				diags.Warnf(keys.title, "probably a duplicate of %s: same language and primary error code %s (link them if they are different cases)",
					strings.Join(others, ", "), p.Codes[0])
			}
		}
		if !p.UpdatedAt.IsZero() && p.UpdatedAt.After(now.Add(futureSlack)) {
			diags.Warnf(keys.updatedAt, "updatedAt %s is in the future: want the time of the last edit",
				p.UpdatedAt.Format(time.RFC3339))
		}
		if !s.schemaChecks(p.Lang) && strings.Contains(p.Doc.Text, schema.Placeholder) {
			src, _ := fs.ReadFile(s.FS, p.Path) // rare: only for kbgen new's leftovers
			pos := textPos(p.Path, src, p.BodyLine, schema.Placeholder)
			diags.Warnf(pos, "placeholder text %q left from kbgen new: replace it with the article's text", schema.Placeholder)
		}
	}
	diags.Sort()
	return diags
}

// linkedFiles returns the files of the articles p links to, as links are
// written ("../ja/x.md#fix", "/ja/x.md"); see links.go.
func linkedFiles(p *Page) map[string]bool {
	files := make(map[string]bool)
	for _, l := range p.Doc.Links {
		u, err := url.Parse(strings.TrimSpace(l.Dest))
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasSuffix(strings.ToLower(u.Path), ".md") {
			continue
		}
		file := path.Join(fileDir(p.Path), u.Path)
		if strings.HasPrefix(u.Path, "/") {
			file = path.Join(ContentDir, u.Path)
		}
		files[file] = true
	}
	return files
}

// schemaChecks reports whether the schema checks the sections of articles
// in lang, and so reports placeholder sections itself.
func (s *Site) schemaChecks(lang string) bool {
	sch := s.Config.Schema
	return sch != nil && !sch.Off && len(sch.Sections[lang]) > 0
}

// keyPositions are where Check reports: the values of two frontmatter keys.
// They are found when the file is parsed, since the Article does not keep
// the positions of its keys, so that Check needs no second read of the file.
type keyPositions struct {
	title, updatedAt diag.Pos
}

// findKeys finds the values of the title and updatedAt keys in src, an
// article whose body starts at line bodyLine. A key that is not found (it
// may be missing, which is an error of its own) is at line 1.
func findKeys(file string, src []byte, bodyLine int) keyPositions {
	k := keyPositions{title: diag.Pos{File: file, Line: 1, Col: 1}, updatedAt: diag.Pos{File: file, Line: 1, Col: 1}}
	for i, off := 0, 0; i+1 < bodyLine && off < len(src); i++ {
		line := src[off:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		off += len(line) + 1
		at := func(rest []byte) diag.Pos {
			return diag.Pos{File: file, Line: i + 1, Col: diag.Col(line, len(line)-len(bytes.TrimLeft(rest, " \t")))}
		}
		if rest, ok := bytes.CutPrefix(line, []byte("title:")); ok {
			k.title = at(rest)
		} else if rest, ok := bytes.CutPrefix(line, []byte("updatedAt:")); ok {
			k.updatedAt = at(rest)
		}
	}
	return k
}

// textPos returns the position of the first occurrence of text in the body
// of src, which starts at line bodyLine; line 1 when it is not there.
func textPos(file string, src []byte, bodyLine int, text string) diag.Pos {
	for i, line := range bytes.Split(src, []byte("\n")) {
		if i+1 < bodyLine {
			continue
		}
		if off := bytes.Index(line, []byte(text)); off >= 0 {
			return diag.Pos{File: file, Line: i + 1, Col: diag.Col(line, off)}
		}
	}
	return diag.Pos{File: file, Line: 1, Col: 1}
}
