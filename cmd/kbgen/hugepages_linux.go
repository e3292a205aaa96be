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
// set to madvise); with always or never it changes nothing. The runtime
// advises no huge pages for its heap, and a virtual machine makes a page
// fault dear: a one-article rebuild at 10,000 articles took 52,000 faults,
// about a sixth of its wall time, and 6,300 with the advice (see README,
// Performance).
//
// The runtime takes a large allocation fresh from the system without
// touching it, and its page allocator hands out the lowest free addresses
// first, so an allocation of n bytes, advised and freed at once, is the
// range the heap then grows into. Nothing of it is committed until the
// heap touches it, and the advice outlives the runtime's releasing
// memory, which keeps the mapping (MADV_FREE, MADV_DONTNEED).
func adviseHugePages(n int64) {
	mode, _ := os.ReadFile("/proc/sys/vm/overcommit_memory")
	var si unix.Sysinfo_t
	var as unix.Rlimit
	if unix.Sysinfo(&si) != nil || unix.Getrlimit(unix.RLIMIT_AS, &as) != nil {
		return
	}
	n = hugePageBudget(n, bits.UintSize, strings.TrimSpace(string(mode)), int64(si.Totalram)*int64(si.Unit), as.Cur != unix.RLIM_INFINITY)
	if n == 0 {
		return
	}
	advise(make([]byte, n))
	// Collect the allocation and return its pages at once: none of them
	// was touched, and the runtime must not count them as held against
	// its memory limit.
	debug.FreeOSMemory()
}

// hugePageBudget returns how much of n bytes adviseHugePages may allocate
// on a system of the given word size, overcommit mode
// (vm.overcommit_memory) and memory in bytes, for a process whose address
// space is limited (ulimit -v) or not; 0 means none. The allocation is
// address space, not memory, but the kernel may refuse it all the same,
// and the Go runtime cannot survive that: it is made only on a 64-bit
// system whose kernel does not account for every page mapped (mode 2),
// with no limit on the address space, and no larger than half the
// memory, which the default accounting (mode 0) always grants.
func hugePageBudget(n int64, wordSize int, overcommit string, memory int64, limited bool) int64 {
	if wordSize < 64 || (overcommit != "0" && overcommit != "1") || limited {
		return 0
	}
	return max(0, min(n, memory/2))
}

func advise(b []byte) {
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE) // only advice: a kernel without it builds as before
}
