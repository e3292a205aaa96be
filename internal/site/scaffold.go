package site

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/schema"
)

// Scaffold describes a new article for kbgen new.
type Scaffold struct {
	Lang  string    // one of the configured languages; "" means the default language, or else the first
	Code  string    // the primary error code, in any form errcode.Parse accepts; "" for none
	Title string    // required; also the errorText, which the author then edits
	Slug  string    // file name without ".md"; "" derives it from Title and Code
	Now   time.Time // the updatedAt written
}

// maxSlug is the length at which a derived slug is cut (at a hyphen),
// before the code is appended: file names and URLs stay readable.
const maxSlug = 48

// Scaffold returns the content path ("content/ja/access-denied-0x80070005.md")
// and the text of a new article: frontmatter that passes the checks
// (title, errorText equal to the title, no tags, updatedAt = sc.Now in UTC,
// lang, and the code under codes so that it is the primary code whatever the
// title says), then the schema's skeleton for the language, whose
// placeholder paragraphs check reports until they are replaced. Where the
// schema has no sections for the language, the body is one placeholder
// paragraph, which Check reports in the same way.
//
// The slug is lower-case ASCII: the ASCII words of the title (full-width
// letters and digits folded), cut at maxSlug, then the code in lower-case
// hex, once, at the end, wherever the title has it. A Japanese title without ASCII
// words gives just the code. Errors describe a bad Scaffold, for the
// command line to report.
func (c *Config) Scaffold(sc Scaffold) (file string, text []byte, err error) {
	title := strings.TrimSpace(sc.Title)
	if title == "" {
		return "", nil, errors.New("a title is required")
	}
	if strings.ContainsFunc(title, func(r rune) bool { return r < ' ' || r == 0x7F }) {
		return "", nil, errors.New("the title must be one line without control characters")
	}
	lang := sc.Lang
	if lang == "" {
		lang = c.DefaultLang
	}
	if lang == "" && len(c.Languages) > 0 {
		lang = c.Languages[0].Code
	}
	if !c.hasLang(lang) {
		return "", nil, fmt.Errorf("language %q is not one of the configured languages %s", lang, c.langList())
	}
	var code errcode.Code
	if sc.Code != "" {
		var ok bool
		if code, ok = errcode.Parse(sc.Code); !ok {
			return "", nil, fmt.Errorf("%q is not an error code: want a form like 0x80070005", sc.Code)
		}
	}
	slug := sc.Slug
	if slug == "" {
		slug = deriveSlug(title, code)
		if slug == "" {
			return "", nil, errors.New("the title has no ASCII words and there is no code to name the file after: give a slug")
		}
	} else if err := checkSlug(slug); err != nil {
		return "", nil, err
	}

	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "title: %s\n", yamlString(title))
	fmt.Fprintf(&b, "errorText: %s\n", yamlString(title))
	b.WriteString("tags: []\n")
	fmt.Fprintf(&b, "updatedAt: %q\n", sc.Now.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "lang: %q\n", lang)
	if code != "" {
		fmt.Fprintf(&b, "codes: [%q]\n", string(code))
	}
	b.WriteString("---\n\n")
	body := c.Schema.Skeleton(lang)
	if body == "" {
		body = schema.Placeholder + " write the article, then delete this line.\n"
	}
	b.WriteString(body)
	return path.Join(ContentDir, lang, slug+".md"), []byte(b.String()), nil
}

// yamlString quotes s for YAML. Go's %q escapes are a subset of YAML's
// double-quoted escapes (\", \\, \n, \t, \xNN, \uNNNN, \UNNNNNNNN) for
// valid UTF-8, and it leaves Japanese as it is.
func yamlString(s string) string { return fmt.Sprintf("%q", s) }

// deriveSlug makes a file name from the title's ASCII words and the code.
func deriveSlug(title string, code errcode.Code) string {
	var words []string
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range title {
		r = errcode.Fold(r)
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			w.WriteRune(r)
		case 'A' <= r && r <= 'Z':
			w.WriteRune(r + 'a' - 'A')
		default:
			flush()
		}
	}
	flush()
	var kept []string
	for _, word := range words {
		if c, ok := errcode.Parse(word); ok && c == code {
			continue // put at the end, in one spelling
		}
		if len(strings.Join(kept, "-"))+1+len(word) > maxSlug {
			break
		}
		kept = append(kept, word)
	}
	if code != "" {
		kept = append(kept, strings.ToLower(string(code)))
	}
	return strings.Join(kept, "-")
}

// checkSlug accepts a slug given on the command line: lower-case ASCII
// letters, digits, '-', '_' and '.', starting with a letter or digit (Load
// skips files whose names start with '.' or '_').
func checkSlug(slug string) error {
	for i, r := range slug {
		ok := 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || i > 0 && (r == '-' || r == '_' || r == '.')
		if !ok {
			return fmt.Errorf("slug %q: want lower-case ASCII letters, digits and '-', starting with a letter or digit", slug)
		}
	}
	if slug == "" || strings.HasSuffix(slug, ".md") {
		return fmt.Errorf("slug %q: want a name without the .md extension", slug)
	}
	return nil
}
