//go:build !linux

package mapped

// Release does nothing outside Linux.
func Release(dir, suffix string) (int, error) { return 0, nil }
