package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", file)
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update after reviewing):\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

// seed is the article that defines the format.
func seed(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../content/ja/kms-activation-0xc004f074.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mutate applies replacements to s, failing the test if one does not apply.
func mutate(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("mutate: %q not found", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildBadInput adds one file for each kind of author mistake to a good
// site and builds once: every problem must be reported, one precise line
// each, the exit status must be 1, and the previous public/ must be left
// exactly as it was.
func TestBuildBadInput(t *testing.T) {
	root := t.TempDir()
	good := seed(t)
	writeFiles(t, root, map[string]string{"content/ja/kms.md": good})
	ctx := context.Background()
	var stderr bytes.Buffer
	if code := run(ctx, []string{"build", "-root", root, "-quiet"}, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("build of the good site exited %d: %s", code, stderr.String())
	}
	before := hashTree(t, filepath.Join(root, "public"))

	related := "## 関連ケース\n"
	writeFiles(t, root, map[string]string{
		"content/ja/bom-crlf.md":          "\uFEFF" + strings.ReplaceAll(good, "\n", "\r\n"),
		"content/ja/no-frontmatter.md":    good[strings.Index(good, "## 要約"):],
		"content/ja/unterminated.md":      mutate(t, good, "lang: \"ja\"\n---\n", "lang: \"ja\"\n"),
		"content/ja/bad-yaml.md":          mutate(t, good, `tags: ["Windows", "Activation", "KMS"]`, `tags: ["Windows", "Activation", "KMS"`),
		"content/ja/tags-string.md":       mutate(t, good, `tags: ["Windows", "Activation", "KMS"]`, `tags: "Windows, KMS"`),
		"content/ja/no-title.md":          mutate(t, good, "title: \"Windows のライセンス認証に失敗 0xC004F074\"\n", ""),
		"content/ja/bad-date.md":          mutate(t, good, `"2025-11-03T09:11:56.107Z"`, `"2025/11/03"`),
		"content/ja/bad-lang.md":          mutate(t, good, `lang: "ja"`, `lang: "fr"`),
		"content/ja/missing-section.md":   mutate(t, good, "## 根本対策（恒久策）\n", ""),
		"content/ja/out-of-order.md":      mutate(t, good, "## 再発防止チェックリスト", "## 再発防止チェックリストX", "## よくある落とし穴（やってはいけない）", "## 再発防止チェックリスト", "## 再発防止チェックリストX", "## よくある落とし穴（やってはいけない）"),
		"content/ja/empty-section.md":     mutate(t, good, "## よくある落とし穴（やってはいけない）\n", "## よくある落とし穴（やってはいけない）\n\n## メモ\n"),
		"content/ja/duplicate-section.md": mutate(t, good, "## 参考（一次情報）", "## 参考（一次情報）\n- 追記\n\n## 参考"),
		"content/ja/KMS.md":               good,
		"content/ja/broken-link.md":       mutate(t, good, related, related+"- [移行後のケース](../ja/kms-migration.md)\n"),
		"content/ja/invalid-utf8.md":      mutate(t, good, "発生条件", "発生\xe7\x99条件"),
	})
	var stdout bytes.Buffer
	stderr.Reset()
	code := run(ctx, []string{"build", "-root", root, "-quiet"}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("build with bad input exited %d, want 1", code)
	}
	// The summary line carries no timing, so the whole output is golden.
	golden(t, "bad-input.golden", stderr.Bytes())
	if d := hashTree(t, filepath.Join(root, "public")).diff(before); d != "" {
		t.Errorf("a failed build changed public/: %s", d)
	}
	if strings.Contains(stderr.String(), "bom-crlf.md") {
		t.Errorf("a file with a BOM and CRLF line endings was reported:\n%s", stderr.String())
	}
	// Every line is path:line:col: severity: message, or the summary.
	line := regexp.MustCompile(`^content/ja/[\w.-]+\.md:\d+:\d+: (error|warning): \S.*$`)
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !line.MatchString(l) && !strings.HasPrefix(l, "kbgen build: ") {
			t.Errorf("malformed diagnostic line %q", l)
		}
	}
}

// TestBuildAdvises checks which builds advise their heap for huge pages:
// those that make every file.
func TestBuildAdvises(t *testing.T) {
	root := t.TempDir()
	if !buildAdvises(root, false) {
		t.Errorf("a build without a build cache does not advise its heap")
	}
	cache := filepath.Join(root, filepath.FromSlash(cacheFile))
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cache, []byte("kbgen"), 0o644); err != nil {
		t.Fatal(err)
	}
	if buildAdvises(root, false) {
		t.Errorf("a build from the build cache advises its heap")
	}
	if !buildAdvises(root, true) {
		t.Errorf("a build with -no-cache does not advise its heap")
	}
}
