package mapped

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Release drops this process's resident pages of every shared mapping of a
// file directly in dir whose name ends in suffix (for example ".vlog"). It
// returns how many mappings it released.
func Release(dir, suffix string) (int, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/self/maps: %w", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(maps))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lo, hi, ok := sharedMapping(sc.Text(), abs, suffix)
		if !ok {
			continue
		}
		if err := madviseDontNeed(lo, hi); err != nil {
			return n, fmt.Errorf("releasing mapped pages %x-%x: %w", lo, hi, err)
		}
		n++
	}
	return n, sc.Err()
}

// sharedMapping parses one /proc/self/maps line ("lo-hi perms offset dev
// inode path") and reports the range when it is a shared mapping of a file
// directly in dir ending in suffix.
func sharedMapping(line, dir, suffix string) (lo, hi uintptr, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || len(f[1]) < 4 || f[1][3] != 's' {
		return 0, 0, false
	}
	path := strings.Join(f[5:], " ")
	if !strings.HasSuffix(path, suffix) || filepath.Dir(path) != dir {
		return 0, 0, false
	}
	a, b, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil || h <= l {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}

func madviseDontNeed(lo, hi uintptr) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, unix.MADV_DONTNEED)
	if e != 0 {
		return e
	}
	return nil
}
