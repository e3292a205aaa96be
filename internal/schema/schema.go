// Package schema holds the section schema: for each language, the H2
// sections an article must have and their order, the check of a parsed
// article against it, and the skeleton body kbgen new writes.
//
// # Matching
//
// A heading is the section whose name it starts with, ignoring case and
// surrounding spaces, so "よくある原因（優先度順）" is the section "よくある原因"
// and "Fix in 5 minutes (workflow)" is "Fix in 5 minutes". When several names
// match, the longest wins. A heading that matches no name is an unknown section.
//
// # Checks
//
// Check reports, for an article's language:
//
//   - error: a required section that is missing, at the heading of the next
//     present section in schema order, or at the last line of the file, so
//     that an annotation lands where the section should be inserted;
//   - error: a section out of order, at its heading. The sections kept in
//     place are the longest run already in schema order (preferring the later
//     ones on ties); each other section is reported as expected after the
//     kept section it should follow, or before the one it should precede;
//   - error: a section given twice, at the second heading;
//   - error: an empty section;
//   - warning: an unknown section;
//   - warning: a section still holding the Placeholder text of the skeleton.
//
// Nothing is checked when the schema is off or has no sections for the
// article's language (which includes an article whose lang could not be read:
// that is already an error of its own).
package schema

import (
	"strings"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
)

// Placeholder starts the paragraph Skeleton puts under every heading. Check
// warns about any section that still contains it, so a half-written article
// is flagged before it is published. It is distinctive on purpose: "TODO:"
// alone occurs in real articles' scripts.
const Placeholder = "TODO(kbgen):"

// Section is a section the schema expects.
type Section struct {
	Name     string // the heading's required prefix: "よくある原因", "Common causes"
	Optional bool   // may be left out; if present, it is still checked for order
	Related  bool   // the related-cases section: names other articles' codes, not this one's
}

// Schema is the set of sections articles must have, per language.
type Schema struct {
	Off      bool                 // no section checks at all (kbgen.yaml: schema: off)
	Sections map[string][]Section // lang → sections in the required order; a language absent here is not checked
}

// Default returns the schema of the seed article: ten sections, all required,
// for ja and en, with 関連ケース / Related cases as the related section. Each
// call returns a new Schema the caller may change.
func Default() *Schema {
	req := func(names ...string) []Section {
		out := make([]Section, len(names))
		for i, n := range names {
			out[i] = Section{Name: n}
		}
		return out
	}
	ja := req("要約", "よくある原因", "60秒で確認", "5分で解決", "根本対策", "詳細手順",
		"よくある落とし穴", "再発防止チェックリスト", "関連ケース", "参考")
	ja[8].Related = true
	en := req("Summary", "Common causes", "Check in 60 seconds", "Fix in 5 minutes", "Permanent fix",
		"Detailed steps", "Pitfalls", "Prevention checklist", "Related cases", "References")
	en[8].Related = true
	return &Schema{Sections: map[string][]Section{"ja": ja, "en": en}}
}

// match returns the index in secs of the section heading belongs to, or -1.
func match(secs []Section, heading string) int {
	heading = strings.TrimSpace(heading)
	best := -1
	for i, s := range secs {
		n := strings.TrimSpace(s.Name)
		if n == "" || len(heading) < len(n) || !strings.EqualFold(heading[:len(n)], n) {
			continue
		}
		if best < 0 || len(n) > len(secs[best].Name) {
			best = i
		}
	}
	return best
}

// Related reports whether heading is the related-cases section of lang. It
// holds even when the schema is off: which codes an article is about does not
// depend on whether its sections are checked. Its signature fits
// article.Options.Related.
func (s *Schema) Related(lang, heading string) bool {
	if s == nil {
		return false
	}
	secs := s.Sections[lang]
	i := match(secs, heading)
	return i >= 0 && secs[i].Related
}

// Check checks the sections of a against the schema of a's language and
// returns the problems, in document order of the sections they concern (the
// caller sorts a whole run's list).
func (s *Schema) Check(a *article.Article) diag.List {
	if s == nil || s.Off || a == nil {
		return nil
	}
	want, ok := s.Sections[a.Lang]
	if !ok || len(want) == 0 {
		return nil
	}
	var l diag.List
	first := make([]int, len(want)) // schema index → index in a.Sections of its first heading, -1 if absent
	for i := range first {
		first[i] = -1
	}
	var seq []int // schema indexes of first occurrences, in document order
	var at []int  // index in a.Sections of each seq entry
	for i, sec := range a.Sections {
		k := match(want, sec.Heading)
		name := sec.Heading
		if k < 0 {
			l.Warnf(sec.Pos, "unknown section %q", sec.Heading)
		} else {
			name = want[k].Name
			if j := first[k]; j >= 0 {
				l.Errorf(sec.Pos, "duplicate section %q (first at line %d)", name, a.Sections[j].Pos.Line)
			} else {
				first[k] = i
				seq = append(seq, k)
				at = append(at, i)
			}
		}
		switch {
		case sec.Empty && k >= 0:
			l.Errorf(sec.Pos, "section %q is empty", name)
		case strings.Contains(sec.Text, Placeholder):
			l.Warnf(sec.Pos, "section %q still holds the placeholder text", name)
		}
	}

	kept := increasing(seq)
	for n, k := range seq {
		if kept[n] {
			continue
		}
		// The kept sections are in schema order, and this one is not among
		// them, so it lies before the nearest kept schema predecessor or
		// after the nearest kept schema successor.
		prev, next := -1, -1
		for m, j := range seq {
			if !kept[m] {
				continue
			}
			if j < k && (prev < 0 || j > seq[prev]) {
				prev = m
			}
			if j > k && (next < 0 || j < seq[next]) {
				next = m
			}
		}
		pos := a.Sections[at[n]].Pos
		if prev >= 0 && at[n] < at[prev] {
			l.Errorf(pos, "section %q is out of order: expected after %q", want[k].Name, want[seq[prev]].Name)
		} else if next >= 0 {
			l.Errorf(pos, "section %q is out of order: expected before %q", want[k].Name, want[seq[next]].Name)
		}
	}

	for k, sec := range want {
		if first[k] >= 0 || sec.Optional {
			continue
		}
		pos := diag.Pos{File: a.Path, Line: max(a.EndLine, 1), Col: 1}
		for j := k + 1; j < len(want); j++ {
			if first[j] >= 0 {
				pos = a.Sections[first[j]].Pos
				break
			}
		}
		if k == 0 {
			l.Errorf(pos, "missing section %q (expected first)", sec.Name)
		} else {
			l.Errorf(pos, "missing section %q (expected after %q)", sec.Name, want[k-1].Name)
		}
	}
	return l
}

// increasing marks a longest strictly increasing subsequence of seq. Among
// the longest, it keeps the elements that come latest in seq, so that with
// two sections swapped the earlier one is reported: it was moved up, and
// "expected after" the other names where it belongs.
func increasing(seq []int) []bool {
	end := make([]int, len(seq)) // end[i]: length of the longest increasing run ending at i
	longest := 0
	for i := range seq {
		end[i] = 1
		for j := 0; j < i; j++ {
			if seq[j] < seq[i] && end[j]+1 > end[i] {
				end[i] = end[j] + 1
			}
		}
		longest = max(longest, end[i])
	}
	kept := make([]bool, len(seq))
	need, limit := longest, -1
	for i := len(seq) - 1; i >= 0 && need > 0; i-- {
		if end[i] == need && (limit < 0 || seq[i] < limit) {
			kept[i] = true
			need--
			limit = seq[i]
		}
	}
	return kept
}

// Skeleton returns the body kbgen new writes for an article in lang: every
// section's heading, in order, each followed by a paragraph starting with
// Placeholder. It is "" for a language the schema does not know.
func (s *Schema) Skeleton(lang string) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	for i, sec := range s.Sections[lang] {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("## " + sec.Name + "\n\n" + Placeholder + " write this section, then delete this line.\n")
	}
	return b.String()
}
