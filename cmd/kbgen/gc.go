package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// gcFloor is the heap kbgen build and check grow to before their first
// garbage collection (see collectFrom).
const gcFloor = 512 << 20

// collectFrom lets the heap grow to floor bytes before the garbage
// collector first runs, and leaves it to collect as before from then on:
// GOGC's percentage and the memory limit in force when it is called.
//
// A one-article rebuild at 10,000 articles allocates about 235 MB, much
// of it data kept to the end (the articles restored from the parse
// cache, the build cache's descriptions of 38,000 files). Collecting as
// the heap grows to that marks it again and again, a tenth of the
// rebuild's CPU in profiles: with the floor the rebuild took a median
// 537 ms against 629 ms (fifteen alternating edits), 830 ms of CPU
// against 1,020 ms, for a peak RSS of 362 MiB against 290 MiB; kbgen
// check of that site, 223.5 ms against 267.5 ms. A full build passes the
// floor early and then collects as it always did (28.9 and 35.4 s
// against 35.7 and 39.1 s, alternating, the same CPU).
//
// Until the first collection the collector is off and the memory limit is
// floor; the collection the limit then starts runs a finalizer, which puts
// the percentage and limit back. So does the function collectFrom
// returns, for the caller to defer: a command run in a test's process
// must not leave the collector off. A process that sets GOGC itself, or a
// limit below floor, keeps its settings.
func collectFrom(floor int64) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(-1)
	if limit <= floor {
		return func() {}
	}
	percent := debug.SetGCPercent(-1)
	debug.SetMemoryLimit(floor)
	var once sync.Once
	restore = func() {
		once.Do(func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(limit)
		})
	}
	// A finalizer runs once the collector has found its object
	// unreachable, in the first collection. The object holds a pointer,
	// so that it is not one of the tiny allocations that may share a
	// block with others and never be finalized.
	type sentinel struct{ _ *int }
	runtime.SetFinalizer(new(sentinel), func(*sentinel) { restore() })
	return restore
}
