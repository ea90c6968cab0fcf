//go:build race

package vectorindex

// raceDetector is true under -race, which makes building a graph about
// thirty times slower: tests shrink their data to stay fast.
const raceDetector = true
