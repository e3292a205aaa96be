//go:build unix

package bench

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := func(ns ...int) []*proc {
		var ps []*proc
		for _, n := range ns {
			ps = append(ps, &proc{wall: time.Duration(n) * time.Millisecond})
		}
		return ps
	}
	for _, tt := range []struct {
		walls []int
		want  time.Duration
	}{
		{[]int{700}, 700 * time.Millisecond},
		{[]int{900, 600, 700}, 700 * time.Millisecond},
		{[]int{1050, 630, 810, 640, 700}, 700 * time.Millisecond},
		{[]int{800, 600, 700, 900}, 700 * time.Millisecond}, // the faster middle one
	} {
		ps := ms(tt.walls...)
		if got := median(ps).wall; got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.walls, got, tt.want)
		}
		if ps[0].wall != time.Duration(tt.walls[0])*time.Millisecond {
			t.Errorf("median(%v) reordered its argument", tt.walls)
		}
	}
}
