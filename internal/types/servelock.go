package types

import "time"

// ServeLock is what `vecimg serve` writes beside the store it holds
// (<db>.serve.json), so that a command that finds the store busy can say
// who holds it and where to reach it.
type ServeLock struct {
	PID     int       `json:"pid"`
	Addr    string    `json:"addr"` // host:port it listens on
	DB      string    `json:"db"`
	Started time.Time `json:"started"`
}
