package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestHugePageBudget(t *testing.T) {
	const gib = 1 << 30
	host := hugePageHost{wordSize: 64, thp: "madvise", overcommit: "0", memory: 24 * gib}
	for _, tc := range []struct {
		n    int64
		edit func(*hugePageHost)
		want int64
	}{
		{3 * gib, func(*hugePageHost) {}, 3 * gib},
		{3 * gib, func(h *hugePageHost) { h.overcommit = "1" }, 3 * gib},
		{3 * gib, func(h *hugePageHost) { h.memory = 4 * gib }, 2 * gib}, // half the memory at most
		{3 * gib, func(h *hugePageHost) { h.thp = "always" }, 0},         // nothing to ask
		{3 * gib, func(h *hugePageHost) { h.thp = "never" }, 0},          // nor here
		{3 * gib, func(h *hugePageHost) { h.thp = "" }, 0},               // no huge pages
		{3 * gib, func(h *hugePageHost) { h.overcommit = "2" }, 0},       // strict accounting: a refusal would be fatal
		{3 * gib, func(h *hugePageHost) { h.overcommit = "" }, 0},        // mode unknown
		{3 * gib, func(h *hugePageHost) { h.limited = true }, 0},         // ulimit -v
		{3 * gib, func(h *hugePageHost) { h.wordSize = 32 }, 0},          // no address space to spare
		{-1, func(*hugePageHost) {}, 0},
	} {
		h := host
		tc.edit(&h)
		if got := hugePageBudget(tc.n, h); got != tc.want {
			t.Errorf("hugePageBudget(%d, %+v) = %d, want %d", tc.n, h, got, tc.want)
		}
	}
}

// TestAdviseHugePages checks what adviseHugePages promises: the heap the
// process allocates next lies in memory advised for huge pages (VmFlags
// "hg" in /proc/self/smaps), whatever the host then does with the advice.
// It runs in a process of its own, as kbgen build calls adviseHugePages
// when it starts: in this one, the memory other tests freed below the
// advised range would be handed out first.
func TestAdviseHugePages(t *testing.T) {
	if hugePageAllowance(256<<20) == 0 {
		t.Skip("adviseHugePages allocates nothing on this system")
	}
	if os.Getenv("KBGEN_TEST_HUGEPAGES") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAdviseHugePages$", "-test.v")
		cmd.Env = append(os.Environ(), "KBGEN_TEST_HUGEPAGES=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestAdviseHugePages") {
			t.Errorf("in a process of its own: %v\n%s", err, out)
		}
		return
	}
	adviseHugePages(256 << 20)
	// The allocation may begin in what is free just below the advised
	// range: its end is well inside it.
	b := make([]byte, 8<<20)
	defer runtime.KeepAlive(b)
	end := &b[len(b)-1]
	flags, err := vmFlags(uintptr(unsafe.Pointer(end)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("an allocation after adviseHugePages ends, at %p, in a mapping with VmFlags %q, without hg", end, flags)
	}
}

// vmFlags returns the VmFlags line of the mapping holding addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") {
			in = lo <= addr && addr < hi
			continue
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(flags), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no mapping holds %#x", addr)
}
