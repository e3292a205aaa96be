//go:build unix

package bench

import (
	"slices"
	"testing"
)

func TestMergeNames(t *testing.T) {
	of := func(names ...string) []stage {
		var st []stage
		for _, n := range names {
			st = append(st, stage{name: n})
		}
		return st
	}
	var names []string
	names = mergeNames(names, of("read", "parse", "validate", "render", "write", "index"))
	names = mergeNames(names, of("parse", "restore", "validate", "render", "write", "index", "export"))
	want := []string{"read", "parse", "restore", "validate", "render", "write", "index", "export"}
	if !slices.Equal(names, want) {
		t.Errorf("mergeNames: %v, want %v", names, want)
	}
}
