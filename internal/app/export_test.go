package app

// HoldDupsRun takes the token that a dups computation needs, so that a test
// can line requests up behind it; release gives it back.
func HoldDupsRun(b *ServeBackend) (release func()) {
	b.dups.run <- struct{}{}
	return func() { <-b.dups.run }
}

// DupsWaiters counts the requests waiting for the computation of threshold.
func DupsWaiters(b *ServeBackend, threshold float64) int {
	b.dups.mu.Lock()
	defer b.dups.mu.Unlock()
	if e, ok := b.dups.m[threshold]; ok {
		return e.waiters
	}
	return 0
}
