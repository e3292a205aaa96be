package site

import (
	"net/url"
	"strings"
	"testing"
)

// agreesWithParse checks that plainLink, where it takes dest, finds the
// path and fragment resolve would have taken from url.Parse.
func agreesWithParse(t *testing.T, dest string) {
	t.Helper()
	upath, frag, ok := plainLink(dest)
	if !ok {
		return
	}
	u, err := url.Parse(dest)
	if err != nil {
		t.Fatalf("plainLink(%q) took a link url.Parse refuses: %v", dest, err)
	}
	want := ""
	if u.Fragment != "" {
		want = "#" + u.EscapedFragment()
	}
	if u.Scheme != "" || u.Host != "" || u.RawQuery != "" || u.Path != upath || frag != want {
		t.Errorf("plainLink(%q) = %q, %q; url.Parse: scheme %q, host %q, query %q, path %q, fragment %q",
			dest, upath, frag, u.Scheme, u.Host, u.RawQuery, u.Path, want)
	}
}

func TestPlainLink(t *testing.T) {
	tests := []struct {
		dest, path, frag string
		ok               bool
	}{
		{"../en/kms-activation-0xc004f074.md", "../en/kms-activation-0xc004f074.md", "", true},
		{"y.md#fix", "y.md", "#fix", true},
		{"/ja/x.md#step-2", "/ja/x.md", "#step-2", true},
		{"images/screen_1.png", "images/screen_1.png", "", true},
		{"y.md#", "y.md", "", true},
		// Left to url.Parse: a scheme, a query, escapes, other scripts.
		{"https://example.com/x.md", "", "", false},
		{"mailto:help@example.com", "", "", false},
		{"C:x.md", "", "", false},
		{"x.md?v=1", "", "", false},
		{"x.md?v", "", "", false},
		{"x%20y.md", "", "", false},
		{"x y.md", "", "", false},
		{"y.md#要約", "", "", false},
		{"ライセンス.md", "", "", false},
		{"y.md#a#b", "", "", false},
		{"~user/x.md", "", "", false},
	}
	for _, tt := range tests {
		upath, frag, ok := plainLink(tt.dest)
		if upath != tt.path || frag != tt.frag || ok != tt.ok {
			t.Errorf("plainLink(%q) = %q, %q, %v; want %q, %q, %v", tt.dest, upath, frag, ok, tt.path, tt.frag, tt.ok)
		}
		agreesWithParse(t, tt.dest)
	}
}

// schemeAgrees checks that a link hasScheme takes is one url.Parse
// refuses or gives a scheme or host: resolve leaves both alone.
func schemeAgrees(t *testing.T, dest string) {
	t.Helper()
	if !hasScheme(dest) {
		return
	}
	if u, err := url.Parse(dest); err == nil && u.Scheme == "" && u.Host == "" {
		t.Errorf("hasScheme(%q), but url.Parse finds path %q and no scheme", dest, u.Path)
	}
}

func TestHasScheme(t *testing.T) {
	for _, tt := range []struct {
		dest string
		want bool
	}{
		{"https://learn.microsoft.com/windows/", true},
		{"mailto:help@example.com", true},
		{"ms-settings:windowsupdate", true},
		{"git+ssh://example.com/x", true},
		{"C:x.md", true},
		{"x.md", false},
		{"../en/x.md", false},
		{":x", false},
		{"1http://x", false},
		{"ja/x.md#a:b", false},
		{"a b:c", false},
	} {
		if got := hasScheme(tt.dest); got != tt.want {
			t.Errorf("hasScheme(%q) = %v, want %v", tt.dest, got, tt.want)
		}
		schemeAgrees(t, tt.dest)
	}
}

// FuzzPlainLink checks plainLink and hasScheme against url.Parse on any
// link.
func FuzzPlainLink(f *testing.F) {
	for _, s := range []string{"../en/x.md", "y.md#fix", "/a//b.md", "a.md#", "a:b", "x.md?y", "#x", "-._/", "https://x/y", "a+b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dest string) {
		if dest == "" || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "//") {
			return // resolve returns these before
		}
		schemeAgrees(t, dest)
		agreesWithParse(t, dest)
	})
}
