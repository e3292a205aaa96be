package main

import (
	"math/bits"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"
)

// adviseHugePages asks Linux to back up to n bytes of the heap that the Go
// runtime hands out next with transparent huge pages, where the host
// leaves that to each program (/sys/kernel/mm/transparent_hugepage/enabled
// set to madvise); with always or never there is nothing to ask. The
// runtime advises no huge pages for its heap, and a virtual machine makes
// a page fault dear: a one-article rebuild at 10,000 articles took
// 51,000-54,000 faults, about a sixth of its wall time, and 6,000-6,700
// with the advice (see internal/bench/results.md, Huge pages).
//
// The runtime takes a large allocation fresh from the system without
// touching it, and its page allocator hands out the lowest free addresses
// first, so an allocation of n bytes, advised and freed at once, is the
// range the heap then grows into. Nothing of it is committed until the
// heap touches it, and the advice outlives the runtime's releasing
// memory, which keeps the mapping (MADV_FREE, MADV_DONTNEED).
func adviseHugePages(n int64) {
	n = hugePageAllowance(n)
	if n == 0 {
		return
	}
	advise(make([]byte, n))
	// Collect the allocation and return its pages at once: none of them
	// was touched, and the runtime must not count them as held against
	// its memory limit.
	debug.FreeOSMemory()
}

func advise(b []byte) {
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE) // only advice: a kernel without it builds as before
}

// hugePageHost is what of the system decides whether adviseHugePages
// allocates, and how much.
type hugePageHost struct {
	wordSize   int    // bits
	thp        string // transparent_hugepage/enabled: always, madvise or never; "" without huge pages
	overcommit string // vm.overcommit_memory: 0, 1 or 2
	memory     int64  // bytes
	limited    bool   // the address space is limited (ulimit -v)
}

// hugePageAllowance returns how much of n bytes adviseHugePages may
// allocate on this system (hugePageBudget); 0 means none.
func hugePageAllowance(n int64) int64 {
	h := hugePageHost{wordSize: bits.UintSize}
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err == nil {
		// The mode in force is the one in brackets: "always [madvise] never".
		if _, rest, ok := strings.Cut(string(b), "["); ok {
			h.thp, _, _ = strings.Cut(rest, "]")
		}
	}
	if b, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err == nil {
		h.overcommit = strings.TrimSpace(string(b))
	}
	var si unix.Sysinfo_t
	var as unix.Rlimit
	if unix.Sysinfo(&si) != nil || unix.Getrlimit(unix.RLIMIT_AS, &as) != nil {
		return 0
	}
	h.memory = int64(si.Totalram) * int64(si.Unit)
	h.limited = as.Cur != unix.RLIM_INFINITY
	return hugePageBudget(n, h)
}

// hugePageBudget returns how much of n bytes adviseHugePages may allocate
// on host h; 0 means none. Only where huge pages are given on advice is
// there anything to ask. The allocation is address space, not memory, but
// the kernel may refuse it all the same, and the Go runtime cannot survive
// that: it is made only on a 64-bit system whose kernel does not account
// for every page mapped (overcommit mode 2), with no limit on the address
// space, and no larger than half the memory, which the default accounting
// (mode 0) always grants.
func hugePageBudget(n int64, h hugePageHost) int64 {
	if h.thp != "madvise" || h.wordSize < 64 || (h.overcommit != "0" && h.overcommit != "1") || h.limited {
		return 0
	}
	return max(0, min(n, h.memory/2))
}
