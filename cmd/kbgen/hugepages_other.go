//go:build !linux

package main

// adviseHugePages does nothing: the advice is Linux's (see
// hugepages_linux.go).
func adviseHugePages(n int64) {}
