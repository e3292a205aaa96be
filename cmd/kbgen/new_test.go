package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNew creates an article as a new author would, checks it (only the
// placeholders are reported, as warnings), and tries to create it again
// (refused, the file unchanged).
func TestNew(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	args := []string{"new", "-root", root, "--lang", "ja", "--code", "0x80070005", "--title", "Access denied: アクセスが拒否されました 0x80070005"}
	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, &stdout, &stderr); code != 0 {
		t.Fatalf("kbgen new exited %d: %s", code, stderr.String())
	}
	file := strings.TrimSpace(stdout.String())
	if file != "content/ja/access-denied-0x80070005.md" {
		t.Errorf("kbgen new printed %q, want content/ja/access-denied-0x80070005.md", file)
	}
	path := filepath.Join(root, filepath.FromSlash(file))
	created, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"title: \"Access denied: アクセスが拒否されました 0x80070005\"\n", "errorText: \"Access denied: アクセスが拒否されました 0x80070005\"\n", "tags: []\n", "lang: \"ja\"\n", "## 要約\n", "## 参考\n"} {
		if !bytes.Contains(created, []byte(want)) {
			t.Errorf("new article lacks %q:\n%s", want, created)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"check", "-root", root, "-format", "json"}, &stdout, &stderr); code != 0 {
		t.Errorf("kbgen check of the new article exited %d, want 0 (warnings only)", code)
	}
	var out struct {
		Diagnostics []struct {
			File, Severity, Message string
		}
		Errors, Warnings int
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Errors != 0 || out.Warnings != 10 {
		t.Errorf("check of the new article: %d errors, %d warnings, want 0 and 10 (one per section)", out.Errors, out.Warnings)
	}
	for _, d := range out.Diagnostics {
		if d.File != file || d.Severity != "warning" || !strings.Contains(d.Message, "placeholder") {
			t.Errorf("check of the new article: unexpected %+v", d)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, args, &stdout, &stderr); code != 1 {
		t.Errorf("kbgen new over an existing article exited %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), file+" already exists") || stdout.Len() != 0 {
		t.Errorf("kbgen new over an existing article: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, created) {
		t.Errorf("kbgen new changed the existing article")
	}
}

func TestNewUsage(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"new", "-root", root},                                               // no title
		{"new", "-root", root, "-title", "アクセス拒否"},                           // no name to make
		{"new", "-root", root, "-lang", "fr", "-title", "x"},                 // unknown language
		{"new", "-root", root, "-code", "nope", "-title", "x"},               // not a code
		{"new", "-root", root, "-title", "x", "-slug", "../escape"},          // not a slug
		{"new", "-root", root, "-title", "two", "words", "-code", "0x5"},     // unquoted title
		{"new", "-root", root, "-title", "x", "-slug", "Upper", "-lang", ""}, // not a slug
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("kbgen %s exited %d, want 2\n%s", strings.Join(args, " "), code, stderr.String())
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a failed kbgen new wrote files")
	}
}

// TestHelpNewCommands checks that the new commands have help with examples.
func TestHelpNewCommands(t *testing.T) {
	for _, name := range []string{"new", "serve", "check", "build"} {
		for _, args := range [][]string{{"help", name}, {name, "-h"}} {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Errorf("kbgen %s exited %d", strings.Join(args, " "), code)
			}
			if help := stdout.String() + stderr.String(); !strings.Contains(help, "Examples:") || !strings.Contains(help, "kbgen "+name) {
				t.Errorf("kbgen %s: help without examples:\n%s", strings.Join(args, " "), help)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeCommand starts kbgen serve in process on a free port, after a
// kbgen build, fetches a page, waits for the search, which starts from
// the build's index, and stops it as Ctrl-C does, by cancelling the
// context.
func TestServeCommand(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"content/ja/kms.md": seed(t)})
	if code := run(context.Background(), []string{"build", "-root", root}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("kbgen build exited %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "-root", root, "-addr", "127.0.0.1:0"}, io.Discard, &stderr)
	}()

	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "serving "); ok {
				base, _, _ = strings.Cut(u, " ")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kbgen serve did not start:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("kbgen serve announced %q, want a loopback URL", base)
	}
	resp, err := http.Get(base + "ja/kms/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("0xC004F074")) {
		t.Errorf("GET %sja/kms/ = %d", base, resp.StatusCode)
	}
	ready := "search index ready in"
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), ready); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("kbgen serve made no search export:\n%s", stderr.String())
		}
	}
	if from := "(started from " + filepath.Join(root, ".kbgen", "index") + ")"; !strings.Contains(stderr.String(), from) {
		t.Errorf("kbgen serve's search did not start from the build's index: no %q in\n%s", from, stderr.String())
	}
	if resp, err := http.Get(base + "search/index.json"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET %ssearch/index.json once ready: %v %v", base, resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("kbgen serve exited %d after Ctrl-C, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("kbgen serve did not stop within 10s of Ctrl-C")
	}
}
