package site

import (
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/kbgen/kbgen/internal/diag"
)

// A link in an article is one of:
//
//   - external (it has a scheme, such as https: or mailto:, or starts with
//     "//"): left alone;
//   - a fragment ("#要約"): left alone;
//   - a path to a Markdown file, relative to the article's file as authors
//     write them under 関連ケース ("../en/x.md", "y.md#fix") or relative to
//     content/ when it starts with "/": rewritten to the article's URL,
//     keeping the fragment; it is a broken link if no article has that file;
//   - a path to another file under content/ (an image): rewritten to the
//     copy the build publishes; broken if there is no such file.
//   - a root-relative path that is neither (imported content's "/azure/…"):
//     left alone, since it may point outside the site.
//
// Broken links are errors by default; kbgen.yaml's brokenLinks: warning
// relaxes them for imported content.

// linkTarget is what a link destination resolves to.
type linkTarget struct {
	href   string // what the page links to
	broken bool   // the destination names a missing file
	// file is the file under content/ that the link names, if it is not
	// an article: whether it exists decides broken.
	file string
}

func (s *Site) resolve(p *Page, dest string) linkTarget {
	dest = strings.TrimSpace(dest)
	if dest == "" || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "//") || hasScheme(dest) {
		return linkTarget{href: dest}
	}
	upath, frag, plain := plainLink(dest)
	if !plain {
		u, err := url.Parse(dest)
		if err != nil || u.Scheme != "" || u.Host != "" {
			return linkTarget{href: dest}
		}
		upath = u.Path
		if u.Fragment != "" {
			frag = "#" + u.EscapedFragment()
		}
	}
	rooted := strings.HasPrefix(upath, "/")
	var file string
	if rooted {
		file = path.Join(ContentDir, upath)
	} else {
		file = path.Join(fileDir(p.Path), upath)
	}
	base := s.base
	if strings.HasSuffix(strings.ToLower(upath), ".md") {
		target, ok := s.byFile[file]
		if !ok || target.Draft {
			return linkTarget{href: dest, broken: true}
		}
		return linkTarget{href: base + target.URL + frag}
	}
	if rooted {
		return linkTarget{href: dest}
	}
	if !strings.HasPrefix(file, ContentDir+"/") {
		return linkTarget{href: dest, broken: true}
	}
	if _, err := fs.Stat(s.FS, file); err != nil {
		return linkTarget{href: dest, broken: true, file: file}
	}
	return linkTarget{href: base + strings.TrimPrefix(file, ContentDir+"/") + frag, file: file}
}

// hasScheme reports whether dest starts with a URL scheme and its colon
// ("https:", "mailto:"), which url.Parse would either take as the scheme
// or refuse the link for: resolve leaves both alone. Most links of the
// generated articles are such (the references under 参考), and parsing
// them was about half of link resolution's time.
func hasScheme(dest string) bool {
	for i := 0; i < len(dest); i++ {
		c := dest[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		case c == ':':
			return i > 0
		default:
			return false
		}
	}
	return false
}

// plainLink splits dest, a link that is neither empty nor a fragment
// alone nor starts with "//", into the path and the fragment ("#fix", or
// "") that url.Parse would find in it, without parsing, when dest is
// made of the characters that need no escaping in either and none that
// would give it a scheme, a query or an escape: the relative links
// authors write ("../en/x.md", "y.md#fix"). It reports false for any
// other link, which url.Parse must read.
func plainLink(dest string) (upath, frag string, ok bool) {
	upath, fragment, hashed := strings.Cut(dest, "#")
	for i := 0; i < len(upath); i++ {
		if c := upath[i]; c != '/' && !unreserved(c) {
			return "", "", false
		}
	}
	for i := 0; i < len(fragment); i++ {
		if !unreserved(fragment[i]) {
			return "", "", false
		}
	}
	if hashed && fragment != "" {
		frag = "#" + fragment
	}
	return upath, frag, true
}

// unreserved reports whether c stands for itself anywhere in a URL
// (RFC 3986's unreserved characters, but "~").
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
}

// resolveLinks resolves each of p's links, in the order of p.Doc.Links.
func (s *Site) resolveLinks(p *Page) []linkTarget {
	if len(p.Doc.Links) == 0 {
		return nil
	}
	t := make([]linkTarget, len(p.Doc.Links))
	for i, l := range p.Doc.Links {
		t[i] = s.resolve(p, l.Dest)
	}
	return t
}

// linkTargets returns where p's links resolve, in the order of
// p.Doc.Links: as index resolved them when it checked them, or resolved
// now. A build resolves every article's links to check them, and again
// for the build cache's keys (articleDep); at 10,000 generated articles
// the two took some 130 ms of CPU, mostly parsing URLs.
func (s *Site) linkTargets(p *Page) []linkTarget {
	if t, ok := s.targets[p]; ok {
		return t
	}
	return s.resolveLinks(p)
}

// checkLinks reports p's links that point to no article or file, given
// where they resolve (resolveLinks).
func (s *Site) checkLinks(p *Page, targets []linkTarget) diag.List {
	var diags diag.List
	for i, l := range p.Doc.Links {
		if !targets[i].broken {
			continue
		}
		pos := diag.Pos{File: p.Path, Line: l.Line, Col: l.Col}
		what := "no file"
		if strings.HasSuffix(strings.ToLower(strings.SplitN(l.Dest, "#", 2)[0]), ".md") {
			what = "no article"
		}
		if s.Config.BrokenLinks == diag.Warning {
			diags.Warnf(pos, "link %q points to %s", l.Dest, what)
		} else {
			diags.Errorf(pos, "link %q points to %s", l.Dest, what)
		}
	}
	return diags
}
