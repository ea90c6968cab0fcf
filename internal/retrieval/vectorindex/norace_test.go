//go:build !race

package vectorindex

// raceDetector is true under -race (see race_test.go).
const raceDetector = false
