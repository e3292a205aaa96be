//go:build !linux

package site

import "errors"

// exchange is not available on this system; publish falls back to two
// renames.
func exchange(a, b string) error { return errors.New("exchange not supported") }
