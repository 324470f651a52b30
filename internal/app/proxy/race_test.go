//go:build race

package proxy

// raceEnabled: the race detector drops a quarter of the buffers put back
// in a sync.Pool, at random.
const raceEnabled = true
