package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// checkSite writes a site with one file for each kind of mistake kbgen
// check reports beyond the build's own (those are in TestBuildBadInput):
// two articles about the same error, a related-cases link to a missing
// article, an updatedAt in the future, an article without an error code,
// and a section still holding kbgen new's placeholder. The good article
// shares no code with the others.
func checkSite(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	good := seed(t)
	about := func(code string) string { return strings.ReplaceAll(good, "0xC004F074", code) }
	related := "## 関連ケース\n"
	writeFiles(t, root, map[string]string{
		"content/ja/kms.md":              good,
		"content/ja/duplicate-a.md":      about("0x80070005"),
		"content/ja/duplicate-b.md":      mutate(t, about("0x80070005"), "Windows のライセンス認証に失敗", "アクセス拒否"),
		"content/ja/related-missing.md":  mutate(t, about("0x80072EE2"), related, related+"- [移行後のケース](kms-migration.md)\n"),
		"content/ja/future.md":           mutate(t, about("0x800F0922"), `"2025-11-03T09:11:56.107Z"`, `"2099-01-01T00:00:00Z"`),
		"content/ja/no-code.md":          about("エラー"),
		"content/ja/placeholder.md":      mutate(t, about("0x8004FC12"), "## 根本対策（恒久策）\n", "## 根本対策（恒久策）\nTODO(kbgen): write this section, then delete this line.\n"),
		"content/ja/not-an-article.txt":  "ignored",
		"content/ja/_drafts/skipped.md":  "not read at all",
		"content/en/.hidden/skipped.md":  "not read at all",
		"content/ja/img/placeholder.png": "not an article",
	})
	return root
}

// TestCheckFormats runs kbgen check on checkSite in the three formats and
// compares the output with goldens. Text goes to stderr like every other
// command's diagnostics; JSON and GitHub commands go to stdout, for tools.
func TestCheckFormats(t *testing.T) {
	root := checkSite(t)
	for _, format := range []string{"text", "json", "github"} {
		t.Run(format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"check", "-root", root, "-format", format}, &stdout, &stderr)
			if code != 1 {
				t.Errorf("kbgen check -format %s exited %d, want 1 (there are errors)", format, code)
			}
			out, other := stdout.Bytes(), stderr.Bytes()
			if format == "text" {
				out, other = other, out
			}
			if len(other) > 0 {
				t.Errorf("kbgen check -format %s wrote to the other stream:\n%s", format, other)
			}
			golden(t, "check."+format+".golden", out)
		})
	}
}

// TestCheckJSON reads the JSON output as a script would.
func TestCheckJSON(t *testing.T) {
	root := checkSite(t)
	var stdout bytes.Buffer
	run(context.Background(), []string{"check", "-root", root, "-format", "json"}, &stdout, &bytes.Buffer{})
	var out struct {
		Diagnostics []struct {
			File     string `json:"file"`
			Line     int    `json:"line"`
			Col      int    `json:"col"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
		} `json:"diagnostics"`
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("kbgen check -format json: %v\n%s", err, stdout.Bytes())
	}
	files := make(map[string]bool)
	errs, warns := 0, 0
	for _, d := range out.Diagnostics {
		files[d.File] = true
		if d.Line < 1 || d.Col < 1 || d.Message == "" {
			t.Errorf("diagnostic without a position or message: %+v", d)
		}
		switch d.Severity {
		case "error":
			errs++
		case "warning":
			warns++
		default:
			t.Errorf("severity %q", d.Severity)
		}
	}
	if errs != out.Errors || warns != out.Warnings {
		t.Errorf("counts %d errors, %d warnings; listed %d, %d", out.Errors, out.Warnings, errs, warns)
	}
	for _, f := range []string{"duplicate-a.md", "duplicate-b.md", "related-missing.md", "future.md", "no-code.md", "placeholder.md"} {
		if !files["content/ja/"+f] {
			t.Errorf("no diagnostic for content/ja/%s", f)
		}
	}
	if files["content/ja/kms.md"] {
		t.Errorf("the good article has a diagnostic")
	}
}

// TestCheckStrict checks the exit status: warnings fail only with -strict.
func TestCheckStrict(t *testing.T) {
	root := t.TempDir()
	good := seed(t)
	writeFiles(t, root, map[string]string{
		"content/ja/kms.md":    good,
		"content/ja/future.md": mutate(t, strings.ReplaceAll(good, "0xC004F074", "0x800F0922"), `"2025-11-03T09:11:56.107Z"`, `"2099-01-01T00:00:00Z"`),
	})
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"check", "-root", root}, 0},
		{[]string{"check", "-root", root, "-strict"}, 1},
		{[]string{"check", "-root", root, "--strict", "--format", "github"}, 1},
		{[]string{"check", "-root", root, "-format", "xml"}, 2},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &bytes.Buffer{}, &stderr); code != tc.want {
			t.Errorf("kbgen %s exited %d, want %d\n%s", strings.Join(tc.args[1:], " "), code, tc.want, stderr.String())
		}
	}
}
