//go:build race

package httpapi

// raceEnabled: the race detector is on (tests measuring memory skip under it).
const raceEnabled = true
