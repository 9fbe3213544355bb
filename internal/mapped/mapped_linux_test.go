package mapped

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rssOf returns the Rss (kB) that /proc/self/smaps gives the mapping
// starting at addr.
func rssOf(t *testing.T, addr uintptr) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	prefix := strconv.FormatUint(uint64(addr), 16) + "-"
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = strings.HasPrefix(line, prefix)
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("no mapping at %x in /proc/self/smaps", addr)
	return 0
}

// sink keeps the compiler from dropping reads whose sum is not used.
var sink int

func mapFile(t *testing.T, path string, data []byte, flags int) []byte {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, len(data), unix.PROT_READ, flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	return m
}

func TestReleaseDropsSharedMappingsOnly(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16) // 4 MiB
	vlog := mapFile(t, filepath.Join(dir, "000001.vlog"), data, unix.MAP_SHARED)
	other := mapFile(t, filepath.Join(dir, "000001.sst"), data, unix.MAP_SHARED)
	private := mapFile(t, filepath.Join(dir, "000002.vlog"), data, unix.MAP_PRIVATE)
	touch := func(m []byte) (sum int) {
		for i := 0; i < len(m); i += 4096 {
			sum += int(m[i])
		}
		return sum
	}
	addr := func(m []byte) uintptr { return uintptr(unsafe.Pointer(&m[0])) }
	want := touch(vlog)
	sink += touch(other) + touch(private)
	if r := rssOf(t, addr(vlog)); r < 3<<10 {
		t.Fatalf("touched 4 MiB mapping has Rss %d kB; the test cannot see a release", r)
	}
	n, err := Release(dir, ".vlog")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Release released %d mappings, want 1 (the shared .vlog one)", n)
	}
	if r := rssOf(t, addr(vlog)); r != 0 {
		t.Errorf("released mapping still has Rss %d kB", r)
	}
	if r := rssOf(t, addr(other)); r < 3<<10 {
		t.Errorf("the .sst mapping lost its pages (Rss %d kB): only the suffix asked for may be released", r)
	}
	if r := rssOf(t, addr(private)); r < 3<<10 {
		t.Errorf("the private mapping lost its pages (Rss %d kB): private mappings must not be touched", r)
	}
	if got := touch(vlog); got != want || !bytes.Equal(vlog, data) {
		t.Error("the released mapping reads different bytes")
	}
	if n, err := Release(filepath.Join(dir, "elsewhere"), ".vlog"); err != nil || n != 0 {
		t.Errorf("Release of another folder = %d, %v; want 0, nil", n, err)
	}
}
