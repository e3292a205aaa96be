package main

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestCollectFrom checks collectFrom's promise: no collection while the
// heap is below the floor, and collection as before once past it. It
// runs in a process of its own, since it changes the collector's settings
// for the whole process.
func TestCollectFrom(t *testing.T) {
	if os.Getenv("KBGEN_TEST_COLLECT_FROM") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCollectFrom$", "-test.v")
		cmd.Env = append(os.Environ(), "KBGEN_TEST_COLLECT_FROM=1", "GOGC=", "GOMEMLIMIT=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestCollectFrom") {
			t.Fatalf("in its own process: %v\n%s", err, out)
		}
		return
	}
	os.Unsetenv("GOGC") // as kbgen started without it
	const floor = 64 << 20
	debug.SetMemoryLimit(1 << 30)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.NumGC
	// Called back below the floor, the settings are as they were.
	collectFrom(floor)()
	if got, limit := gcPercent(), debug.SetMemoryLimit(-1); got != 100 || limit != 1<<30 {
		t.Errorf("called back below the floor: GOGC %d, memory limit %d; want 100, %d", got, limit, 1<<30)
	}
	restore := collectFrom(floor)

	// Below the floor: 32 MB live, in pieces, and no collection.
	var live [][]byte
	for range 32 {
		live = append(live, make([]byte, 1<<20))
	}
	runtime.ReadMemStats(&ms)
	if ms.NumGC != before {
		t.Errorf("%d collections below the floor", ms.NumGC-before)
	}
	if got := gcPercent(); got != -1 {
		t.Errorf("below the floor GOGC is %d, want off", got)
	}

	// Past it: garbage of 256 MB, which the floor's limit collects; then
	// the settings come back, and the collector keeps the heap near twice
	// what is live, not near the floor.
	for range 256 {
		b := make([]byte, 1<<20)
		b[0] = 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) != 1<<30 && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Fatalf("past the floor the memory limit is %d, want %d", got, 1<<30)
	}
	if got := gcPercent(); got != 100 {
		t.Errorf("past the floor GOGC is %d, want 100", got)
	}
	restore() // after the finalizer: nothing more
	if got, limit := gcPercent(), debug.SetMemoryLimit(-1); got != 100 || limit != 1<<30 {
		t.Errorf("called back after the floor: GOGC %d, memory limit %d; want 100, %d", got, limit, 1<<30)
	}
	runtime.KeepAlive(live)
}

// TestCollectFromGOGC checks that a GOGC of the user's is left alone.
func TestCollectFromGOGC(t *testing.T) {
	if os.Getenv("KBGEN_TEST_COLLECT_FROM_GOGC") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCollectFromGOGC$", "-test.v")
		cmd.Env = append(os.Environ(), "KBGEN_TEST_COLLECT_FROM_GOGC=1", "GOGC=150")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestCollectFromGOGC") {
			t.Fatalf("in its own process: %v\n%s", err, out)
		}
		return
	}
	collectFrom(64 << 20)
	if got := gcPercent(); got != 150 {
		t.Errorf("with GOGC=150 GOGC is %d after collectFrom", got)
	}
}

// gcPercent returns GOGC's percentage in force, leaving it so.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// TestBuildLeavesCollector checks that build and check, run in this
// process as the tests run them, leave the collector's settings as they
// found them: a heap below the floor would otherwise leave it off.
func TestBuildLeavesCollector(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: collectFrom changes nothing")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"content/ja/kms.md": seed(t)})
	percent, limit := gcPercent(), debug.SetMemoryLimit(-1)
	for _, args := range [][]string{{"build", "-root", root, "-quiet"}, {"check", "-root", root}} {
		var stderr bytes.Buffer
		if code := run(t.Context(), args, &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("%s exited %d: %s", args[0], code, stderr.String())
		}
		if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != percent || l != limit {
			t.Errorf("after %s: GOGC %d, memory limit %d; want %d, %d", args[0], p, l, percent, limit)
		}
	}
}
