//go:build race

package engine_test

// raceOn: the race detector slows the randomised tests several times; they draw fewer
// inputs under it.
const raceOn = true
