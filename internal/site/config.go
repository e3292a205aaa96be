package site

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v2"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/schema"
)

// ConfigFile is the name of the optional site configuration file at the
// site root.
const ConfigFile = "kbgen.yaml"

// Config is a site's configuration, read from kbgen.yaml. Its zero value is
// not useful; start from DefaultConfig.
type Config struct {
	Title     string     // site title
	BaseURL   string     // absolute or path-only base URL, always ending in "/"
	Languages []Language // content languages, in display order; an article's lang must be one of them
	// DefaultLang is the language of articles whose frontmatter has no lang
	// key; empty means lang is required.
	DefaultLang string
	// Schema is the section schema articles are checked against.
	Schema *schema.Schema
	// BrokenLinks is the severity of a link to a missing article:
	// diag.Error by default, diag.Warning for imported content.
	BrokenLinks diag.Severity
	// UnsafeHTML lets raw HTML in Markdown through to the page. Only for
	// trusted content: it lets any author run script in readers' browsers.
	UnsafeHTML bool
	// Imported relaxes frontmatter rules for content written for another
	// tool (see article.Options.Imported).
	Imported bool
	// Aliases maps another tool's frontmatter keys to kbgen's
	// ("ms.date" → "updatedAt").
	Aliases map[string]string
	// Feed is the number of recently updated articles in the Atom feed and
	// on the home page.
	Feed int
	// Paginate is the number of articles on each page of a language, tag
	// or code page. A longer list is split into pages: the first at the
	// list's URL, page n ≥ 2 at <list URL>page/<n>/, as Hugo lays them
	// out. Without it, a language page listed every article of the
	// language: 4.6 MB of HTML at 10,000 articles.
	Paginate int
}

// Language is a configured content language.
type Language struct {
	Code string // BCP 47 tag as written in frontmatter ("ja")
	Name string // display name ("日本語")
}

// DefaultPaginate is the page size of lists when kbgen.yaml does not set
// paginate: a page of 50 article cards is some 30 KB of HTML (28–31 KB on
// the generated corpus, against 4.5 MB for the unpaged Japanese page at
// 10,000 articles), light for an ordinary laptop and long enough to scan
// without paging at every screen.
const DefaultPaginate = 50

// DefaultConfig returns the configuration used when there is no kbgen.yaml,
// and the base that kbgen.yaml overrides key by key.
func DefaultConfig() Config {
	return Config{
		Title:       "Knowledge Base",
		BaseURL:     "/",
		Languages:   []Language{{"ja", "日本語"}, {"en", "English"}},
		Schema:      schema.Default(),
		BrokenLinks: diag.Error,
		Feed:        20,
		Paginate:    DefaultPaginate,
	}
}

// fileConfig is kbgen.yaml as written. Pointers tell a key that is absent
// from one set to its zero value.
type fileConfig struct {
	Title     *string `yaml:"title"`
	BaseURL   *string `yaml:"baseURL"`
	Languages []struct {
		Code string `yaml:"code"`
		Name string `yaml:"name"`
	} `yaml:"languages"`
	DefaultLang *string `yaml:"defaultLang"`
	Schema      *struct {
		Off      bool                `yaml:"off"`
		Sections map[string][]string `yaml:"sections"`
		Optional []string            `yaml:"optional"`
		Related  map[string]string   `yaml:"related"`
	} `yaml:"schema"`
	BrokenLinks *string           `yaml:"brokenLinks"`
	UnsafeHTML  *bool             `yaml:"unsafeHTML"`
	Feed        *int              `yaml:"feed"`
	Paginate    *int              `yaml:"paginate"`
	Imported    *bool             `yaml:"imported"`
	Aliases     map[string]string `yaml:"aliases"`
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// LoadConfig reads kbgen.yaml from the root of fsys, if present, over
// DefaultConfig. Problems are diagnostics at the file's lines, so a bad
// configuration is reported like a bad article.
func LoadConfig(fsys fs.FS) (Config, diag.List) {
	cfg := DefaultConfig()
	var diags diag.List
	src, err := fs.ReadFile(fsys, ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	pos := diag.Pos{File: ConfigFile, Line: 1, Col: 1}
	if err != nil {
		diags.Errorf(pos, "cannot read configuration: %v", err)
		return cfg, diags
	}
	var fc fileConfig
	if err := yaml.UnmarshalStrict(src, &fc); err != nil {
		// yaml.v2 reports positions only inside its error text; it has no
		// structured position, so the line is read back from the message.
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			pos.Line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		diags.Errorf(pos, "invalid configuration: %s", strings.TrimPrefix(msg, "yaml: "))
		return cfg, diags
	}
	at := func(key string) diag.Pos { return keyPos(src, key) }
	if fc.Title != nil {
		cfg.Title = *fc.Title
	}
	if fc.BaseURL != nil {
		b, err := normalizeBaseURL(*fc.BaseURL)
		if err != nil {
			diags.Errorf(at("baseURL"), "baseURL: %v", err)
		} else {
			cfg.BaseURL = b
		}
	}
	if len(fc.Languages) > 0 {
		cfg.Languages = nil
		for _, l := range fc.Languages {
			if l.Code == "" {
				diags.Errorf(at("languages"), "languages: every language needs a code")
				continue
			}
			name := l.Name
			if name == "" {
				name = l.Code
			}
			cfg.Languages = append(cfg.Languages, Language{l.Code, name})
		}
	}
	if fc.DefaultLang != nil {
		cfg.DefaultLang = *fc.DefaultLang
		if !cfg.hasLang(cfg.DefaultLang) {
			diags.Errorf(at("defaultLang"), "defaultLang: %q is not one of the configured languages %s", cfg.DefaultLang, cfg.langList())
		}
	}
	if s := fc.Schema; s != nil {
		if s.Off {
			cfg.Schema = &schema.Schema{Off: true}
		} else if len(s.Sections) > 0 {
			optional := make(map[string]bool)
			for _, name := range s.Optional {
				optional[name] = true
			}
			sch := &schema.Schema{Sections: make(map[string][]schema.Section)}
			for lang, names := range s.Sections {
				for _, name := range names {
					sch.Sections[lang] = append(sch.Sections[lang], schema.Section{
						Name:     name,
						Optional: optional[name],
						Related:  s.Related[lang] == name,
					})
				}
			}
			cfg.Schema = sch
		}
	}
	if fc.BrokenLinks != nil {
		switch *fc.BrokenLinks {
		case "error":
			cfg.BrokenLinks = diag.Error
		case "warning":
			cfg.BrokenLinks = diag.Warning
		default:
			diags.Errorf(at("brokenLinks"), "brokenLinks: want \"error\" or \"warning\", got %q", *fc.BrokenLinks)
		}
	}
	if fc.UnsafeHTML != nil {
		cfg.UnsafeHTML = *fc.UnsafeHTML
	}
	if fc.Imported != nil {
		cfg.Imported = *fc.Imported
	}
	for from, to := range fc.Aliases {
		switch to {
		case "title", "errorText", "tags", "updatedAt", "lang", "codes":
		default:
			diags.Errorf(at("aliases"), "aliases: %q maps to %q, want one of title, errorText, tags, updatedAt, lang, codes", from, to)
			continue
		}
		if cfg.Aliases == nil {
			cfg.Aliases = make(map[string]string)
		}
		cfg.Aliases[from] = to
	}
	if fc.Feed != nil {
		if *fc.Feed < 1 {
			diags.Errorf(at("feed"), "feed: want a positive number of articles, got %d", *fc.Feed)
		} else {
			cfg.Feed = *fc.Feed
		}
	}
	if fc.Paginate != nil {
		if *fc.Paginate < 1 {
			diags.Errorf(at("paginate"), "paginate: want a positive number of articles per page, got %d", *fc.Paginate)
		} else {
			cfg.Paginate = *fc.Paginate
		}
	}
	return cfg, diags
}

// SetBaseURL sets the base URL from a flag, with the checks LoadConfig makes.
func (c *Config) SetBaseURL(s string) error {
	b, err := normalizeBaseURL(s)
	if err != nil {
		return fmt.Errorf("base URL %q: %v", s, err)
	}
	c.BaseURL = b
	return nil
}

// BasePath returns the path of the base URL, ending in "/" ("/kb/").
func (c *Config) BasePath() string {
	u, _ := url.Parse(c.BaseURL)
	return u.Path
}

// canonicalBase returns the base URL if it names a host, as canonical
// URLs need, and "" if it is a path only.
func (c *Config) canonicalBase() string {
	if u, err := url.Parse(c.BaseURL); err == nil && u.Host != "" {
		return c.BaseURL
	}
	return ""
}

func (c *Config) hasLang(code string) bool {
	for _, l := range c.Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

func (c *Config) langList() string {
	var codes []string
	for _, l := range c.Languages {
		codes = append(codes, strconv.Quote(l.Code))
	}
	return "(" + strings.Join(codes, ", ") + ")"
}

// normalizeBaseURL accepts "https://host/path", "/path" or "" and returns
// it ending in "/".
func normalizeBaseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "/", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("must not have a query or fragment")
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if u.Scheme != "" && u.Host == "" {
		return "", errors.New("has a scheme but no host")
	}
	if u.Scheme == "" && u.Host == "" && !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// keyPos returns the position of a top-level key in a YAML file, or line 1
// when it cannot be found.
func keyPos(src []byte, key string) diag.Pos {
	for i, line := range bytes.Split(src, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(key+":")) {
			return diag.Pos{File: ConfigFile, Line: i + 1, Col: 1}
		}
	}
	return diag.Pos{File: ConfigFile, Line: 1, Col: 1}
}
