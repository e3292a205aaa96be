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

// FuzzPlainLink checks plainLink against url.Parse on any link.
func FuzzPlainLink(f *testing.F) {
	for _, s := range []string{"../en/x.md", "y.md#fix", "/a//b.md", "a.md#", "a:b", "x.md?y", "#x", "-._/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dest string) {
		if dest == "" || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "//") {
			return // resolve returns these before
		}
		agreesWithParse(t, dest)
	})
}
