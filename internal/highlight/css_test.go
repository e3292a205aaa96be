package highlight

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/styles"
)

// TestCSSGolden checks that the stylesheet kbgen ships (chroma.css) is
// the one chroma's styles give now; under -update it writes it again.
func TestCSSGolden(t *testing.T) {
	got := makeCSS(t)
	if *update {
		if err := os.WriteFile("chroma.css", got, 0o666); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote chroma.css")
		return
	}
	if !bytes.Equal(got, stylesheet) {
		t.Errorf("chroma.css differs from what chroma's styles give (run go test -update to accept):\n%s", lineDiff(string(stylesheet), string(got)))
	}
	var b bytes.Buffer
	if err := CSS(&b); err != nil || !bytes.Equal(b.Bytes(), stylesheet) {
		t.Errorf("CSS wrote %d bytes, error %v; want the %d bytes of chroma.css", b.Len(), err, len(stylesheet))
	}
}

// namedStyle returns chroma's style name, failing the test if chroma has
// none of that name (styles.Get would return its fallback style).
func namedStyle(t *testing.T, name string) *chroma.Style {
	t.Helper()
	s, ok := styles.Registry[name]
	if !ok {
		t.Fatalf("chroma has no style %q", name)
	}
	return s
}

// TestCSSDeterministic checks that makeCSS gives the same bytes every
// time: chroma keeps styles and token classes in maps, and a stylesheet
// that changed from one run to the next would fail TestCSSGolden.
func TestCSSDeterministic(t *testing.T) {
	first := makeCSS(t)
	for range 20 {
		if b := makeCSS(t); !bytes.Equal(b, first) {
			t.Fatalf("makeCSS output differs between calls:\n%s", lineDiff(string(first), string(b)))
		}
	}
}

// TestCSSDarkOverridesLight checks the cascade: every property a light rule
// sets for a class is set again for that class by both dark blocks, so no
// light colour or background shows through in dark mode.
func TestCSSDarkOverridesLight(t *testing.T) {
	css := string(stylesheet)
	mediaStart := strings.Index(css, "@media (prefers-color-scheme: dark) {")
	mediaEnd := strings.Index(css, "\n}\n")
	if mediaStart < 0 || mediaEnd < mediaStart {
		t.Fatalf("CSS has no dark @media block:\n%s", css)
	}
	light := parseCSS(t, css[:mediaStart], ".chroma")
	media := parseCSS(t, css[mediaStart+len("@media (prefers-color-scheme: dark) {"):mediaEnd], ":root:not([data-theme=light]) .chroma")
	forced := parseCSS(t, css[mediaEnd+3:], ":root[data-theme=dark] .chroma")
	if len(light) == 0 || len(media) == 0 {
		t.Fatalf("parsed no rules from CSS:\n%s", css)
	}
	for class, props := range light {
		for prop := range props {
			if _, ok := media[class][prop]; !ok {
				t.Errorf("dark @media rules do not set %s for %q; the light value would show through", prop, class)
			}
			if _, ok := forced[class][prop]; !ok {
				t.Errorf("[data-theme=dark] rules do not set %s for %q; the light value would show through", prop, class)
			}
		}
	}
	for _, class := range []string{"", ".k", ".s2", ".nv", ".c1"} {
		if light[class]["color"] == "" || media[class]["color"] == "" {
			t.Errorf("class %q has no colour in light or dark rules", class)
		}
	}
	for _, theme := range []map[string]map[string]string{light, media, forced} {
		if theme[""]["color"] == "" || theme[""]["background-color"] == "" {
			t.Errorf("wrapper rule %v sets no text colour or no background; want both", theme[""])
		}
	}
	if strings.Contains(css, ".err") {
		t.Errorf("CSS styles .err; lexer errors should look like plain text")
	}
}

var ruleRE = regexp.MustCompile(`^\s*(\S.*?) \{ (.*) \}$`)

// parseCSS reads the one-rule-per-line output of CSS under scope into
// class → property → value ("" is the wrapper).
func parseCSS(t *testing.T, css, scope string) map[string]map[string]string {
	t.Helper()
	out := make(map[string]map[string]string)
	for _, line := range strings.Split(css, "\n") {
		m := ruleRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		sel, ok := strings.CutPrefix(m[1], scope)
		if !ok {
			t.Fatalf("rule %q is not scoped to %q", line, scope)
		}
		sel = strings.TrimSpace(sel)
		var classes []string
		switch {
		case sel == "":
			classes = []string{""}
		case strings.HasPrefix(sel, ":is("):
			classes = strings.Split(strings.TrimSuffix(strings.TrimPrefix(sel, ":is("), ")"), ", ")
		default:
			classes = []string{sel}
		}
		for _, c := range classes {
			if out[c] == nil {
				out[c] = make(map[string]string)
			}
			for _, d := range strings.Split(m[2], "; ") {
				prop, value, _ := strings.Cut(d, ": ")
				out[c][prop] = value
			}
		}
	}
	return out
}

// Style names of the stylesheet's two themes (see the package documentation).
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// makeCSS computes the stylesheet from chroma's styles: the light style
// as the default, the dark style when the system prefers dark and the page
// has not chosen light (:root:not([data-theme=light])), and when the page
// has chosen dark (:root[data-theme=dark]).
func makeCSS(t *testing.T) []byte {
	t.Helper()
	light := styleRules(namedStyle(t, lightStyle))
	dark := overrideRules(light, styleRules(namedStyle(t, darkStyle)))

	var b bytes.Buffer
	fmt.Fprintf(&b, "/* Code highlighting: chroma styles %q (light) and %q (dark). Generated by kbgen. */\n", lightStyle, darkStyle)
	writeRules(&b, "", ".chroma", light)
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	writeRules(&b, "  ", ":root:not([data-theme=light]) .chroma", dark)
	b.WriteString("}\n")
	writeRules(&b, "", ":root[data-theme=dark] .chroma", dark)
	return b.Bytes()
}

// A rule is one CSS rule: the declarations for the class of token type t,
// or for the .chroma wrapper itself when t is chroma.Background.
type rule struct {
	t     chroma.TokenType
	decls []decl
}

type decl struct{ prop, value string }

// styleRules computes style's rules in token-type order, the wrapper first.
//
// The wrapper always gets both a text colour and a background, so a style
// that sets only a background (GitHub light does) cannot end up showing the
// page's text colour on the style's background. Meta types (line numbers,
// highlighted lines, table layout) are left out because Block never emits
// them; so are Text and Whitespace, which need no colour of their own, and
// Error, because chroma marks as errors the characters its lexer did not
// expect, and a red box there reads as the author's mistake when it is the
// lexer's.
func styleRules(style *chroma.Style) []rule {
	bg := style.Get(chroma.Background)
	fg := bg.Colour
	if !fg.IsSet() {
		fg = chroma.MustParseColour("#000000")
		if style.Mode() == chroma.Dark {
			fg = chroma.MustParseColour("#ffffff")
		}
	}
	wrapper := rule{t: chroma.Background, decls: []decl{{"color", fg.String()}}}
	if bg.Background.IsSet() {
		wrapper.decls = append(wrapper.decls, decl{"background-color", bg.Background.String()})
	}
	rules := []rule{wrapper}
	for _, t := range tokenTypes() {
		if decls := entryDecls(style.Get(t).Sub(bg)); len(decls) > 0 {
			rules = append(rules, rule{t: t, decls: decls})
		}
	}
	return rules
}

// tokenTypes returns the token types that get a class of their own in
// Block's output, sorted.
func tokenTypes() []chroma.TokenType {
	types := make([]chroma.TokenType, 0, len(chroma.StandardTypes))
	for t, class := range chroma.StandardTypes {
		if t > 0 && class != "" && t != chroma.Whitespace {
			types = append(types, t)
		}
	}
	slices.Sort(types)
	return types
}

// entryDecls converts a style entry to declarations, as chroma's
// StyleEntryToCSS does.
func entryDecls(e chroma.StyleEntry) []decl {
	var d []decl
	if e.Colour.IsSet() {
		d = append(d, decl{"color", e.Colour.String()})
	}
	if e.Background.IsSet() {
		d = append(d, decl{"background-color", e.Background.String()})
	}
	if e.Bold == chroma.Yes {
		d = append(d, decl{"font-weight", "bold"})
	}
	if e.Italic == chroma.Yes {
		d = append(d, decl{"font-style", "italic"})
	}
	if e.Underline == chroma.Yes {
		d = append(d, decl{"text-decoration", "underline"})
	}
	return d
}

// resets are the values that undo a light-style declaration the dark style
// does not make.
var resets = map[string]string{
	"color":            "inherit",
	"background-color": "transparent",
	"font-weight":      "inherit",
	"font-style":       "inherit",
	"text-decoration":  "none",
}

// overrideRules returns the dark rules extended so that, applied on top of
// the light rules, they leave nothing of the light style. Both sets are in
// the page and the dark selectors are the more specific, so every property
// a light rule sets must be set again by the dark rule for the same class.
func overrideRules(light, dark []rule) []rule {
	out := make([]rule, 0, len(dark)+len(light))
	index := make(map[chroma.TokenType]int, len(dark))
	for _, r := range dark {
		index[r.t] = len(out)
		out = append(out, rule{t: r.t, decls: slices.Clone(r.decls)})
	}
	for _, l := range light {
		i, ok := index[l.t]
		if !ok {
			i = len(out)
			index[l.t] = i
			out = append(out, rule{t: l.t})
		}
		for _, d := range l.decls {
			if !slices.ContainsFunc(out[i].decls, func(x decl) bool { return x.prop == d.prop }) {
				out[i].decls = append(out[i].decls, decl{d.prop, resets[d.prop]})
			}
		}
	}
	slices.SortFunc(out, func(a, b rule) int { return int(a.t - b.t) })
	return out
}

// writeRules writes rules scoped to the selector scope, one line per
// distinct set of declarations: classes styled alike share a rule through
// :is(), which keeps the specificity of a single class and the stylesheet
// a few dozen lines long instead of a few hundred.
func writeRules(b *bytes.Buffer, indent, scope string, rules []rule) {
	type group struct {
		classes []string
		decls   string
	}
	var groups []*group
	byDecls := make(map[string]*group)
	for _, r := range rules {
		var d strings.Builder
		for i, x := range r.decls {
			if i > 0 {
				d.WriteString("; ")
			}
			d.WriteString(x.prop)
			d.WriteString(": ")
			d.WriteString(x.value)
		}
		class := ""
		if r.t != chroma.Background {
			class = "." + chroma.StandardTypes[r.t]
		}
		key := d.String()
		if class == "" {
			key = "\x00" + key // the wrapper rule stands alone
		}
		g := byDecls[key]
		if g == nil {
			g = &group{decls: d.String()}
			byDecls[key] = g
			groups = append(groups, g)
		}
		g.classes = append(g.classes, class)
	}
	for _, g := range groups {
		b.WriteString(indent)
		b.WriteString(scope)
		switch {
		case len(g.classes) == 1 && g.classes[0] == "":
		case len(g.classes) == 1:
			b.WriteString(" ")
			b.WriteString(g.classes[0])
		default:
			b.WriteString(" :is(")
			b.WriteString(strings.Join(g.classes, ", "))
			b.WriteString(")")
		}
		b.WriteString(" { ")
		b.WriteString(g.decls)
		b.WriteString(" }\n")
	}
}
