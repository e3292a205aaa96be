//go:build race

package markdown

// raceEnabled is set under the race detector, which slows the parser
// tenfold and more: timing budgets mean nothing there.
const raceEnabled = true
