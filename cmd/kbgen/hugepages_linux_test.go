package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestHugePageBudget(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		n          int64
		wordSize   int
		overcommit string
		memory     int64
		limited    bool
		want       int64
	}{
		{3 * gib, 64, "0", 24 * gib, false, 3 * gib},
		{3 * gib, 64, "1", 24 * gib, false, 3 * gib},
		{3 * gib, 64, "0", 4 * gib, false, 2 * gib}, // half the memory at most
		{3 * gib, 64, "2", 24 * gib, false, 0},      // strict accounting: a refusal would be fatal
		{3 * gib, 64, "", 24 * gib, false, 0},       // mode unknown
		{3 * gib, 64, "0", 24 * gib, true, 0},       // ulimit -v
		{3 * gib, 32, "0", 24 * gib, false, 0},      // no address space to spare
		{-1, 64, "0", 24 * gib, false, 0},
	} {
		if got := hugePageBudget(tc.n, tc.wordSize, tc.overcommit, tc.memory, tc.limited); got != tc.want {
			t.Errorf("hugePageBudget(%d, %d, %q, %d, %v) = %d, want %d", tc.n, tc.wordSize, tc.overcommit, tc.memory, tc.limited, got, tc.want)
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
	mode, _ := os.ReadFile("/proc/sys/vm/overcommit_memory")
	if m := strings.TrimSpace(string(mode)); m != "0" && m != "1" {
		t.Skipf("vm.overcommit_memory is %q: adviseHugePages does nothing", m)
	}
	var as unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_AS, &as) != nil || as.Cur != unix.RLIM_INFINITY {
		t.Skip("the address space is limited: adviseHugePages does nothing")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("the kernel has no transparent huge pages")
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
	defer keep(b)
	end := &b[len(b)-1]
	flags, err := vmFlags(uintptr(unsafe.Pointer(end)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("an allocation after adviseHugePages ends, at %p, in a mapping with VmFlags %q, without hg", end, flags)
	}
}

//go:noinline
func keep([]byte) {}

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
