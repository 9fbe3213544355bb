// Command vlogread measures, side by side in one process, what reading one
// exact vector costs through the store (a badger lookup of its key, then
// the value read from the memory-mapped value log with its checksum) and
// what a plain pread of as many bytes from the same value-log files, with
// the same CRC-32C, costs: the floor of a read path that skips badger's
// LSM and its mappings (docs/scale.md, "Where a warm 1M query's time
// goes").
//
//	go run ./bench/vlogread -db STORE [-n 37000] [-reads 200000]
//
// It draws -n random records (a query workload's working set: 200 queries
// read about 37,000 distinct vectors at 1M) and reads -reads of them at
// random, three ways: through the store with the mapped pages released
// before each read (as after the app's periodic release: every read maps
// its pages anew), through the store with pages kept, and by pread at
// random offsets of the value-log files. The page cache should already
// hold the files (run it twice); the first pass of each way only warms.
package main

import (
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/vecimg/vecimg/internal/mapped"
	"github.com/vecimg/vecimg/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vlogread:", err)
		os.Exit(1)
	}
}

func run() error {
	db := flag.String("db", "", "store path")
	n := flag.Int("n", 37000, "distinct records in the working set")
	reads := flag.Int("reads", 200000, "timed reads per way")
	releaseEvery := flag.Int("release-every", 13000, "reads between two releases of the mapped value log in the first way (the app releases every 1 GiB of reads, about 13,000 of 16 KiB)")
	flag.Parse()
	if *db == "" {
		return fmt.Errorf("-db is required")
	}
	st, err := store.Open(*db, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := st.IDs()
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("%s holds no records", *db)
	}
	r := rand.New(rand.NewPCG(1, 2))
	set := make([]string, min(*n, len(ids)))
	for i := range set {
		set[i] = ids[r.IntN(len(ids))]
	}
	one := make([][]float32, 1)
	if err := st.Vectors(set[:1], one); err != nil {
		return err
	}
	size := 4*len(one[0]) + 64 // a vector and its record's head, about
	host, _ := os.Hostname()
	fmt.Printf("store %s: %d records, %d-d; working set %d, %d reads per way, host %s\n", *db, len(ids), len(one[0]), len(set), *reads, host)

	byStore := func(release int) (time.Duration, error) {
		t0 := time.Now()
		for i := range *reads {
			if release > 0 && i%release == 0 {
				if _, err := mapped.Release(*db, ".vlog"); err != nil {
					return 0, err
				}
			}
			if err := st.Vectors(set[r.IntN(len(set)):][:1], one); err != nil {
				return 0, err
			}
		}
		return time.Since(t0), nil
	}

	files, _ := filepath.Glob(filepath.Join(*db, "*.vlog"))
	type span struct {
		f   *os.File
		off int64
	}
	var spans []span
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.Size() > int64(size) {
			spans = append(spans, span{f: f, off: fi.Size() - int64(size)})
		}
	}
	if len(spans) == 0 {
		return fmt.Errorf("%s has no value-log file larger than one record", *db)
	}
	at := make([]span, len(set))
	for i := range at {
		s := spans[r.IntN(len(spans))]
		at[i] = span{s.f, r.Int64N(s.off)}
	}
	buf := make([]byte, size)
	tab := crc32.MakeTable(crc32.Castagnoli)
	var sum uint32
	byPread := func() (time.Duration, error) {
		t0 := time.Now()
		for range *reads {
			s := at[r.IntN(len(at))]
			if _, err := s.f.ReadAt(buf, s.off); err != nil {
				return 0, err
			}
			sum += crc32.Checksum(buf, tab)
		}
		return time.Since(t0), nil
	}

	// The same reads through this process's own read-only mappings of the
	// value-log files: what a positions read by mapping would cost, with
	// its pages released every -release-every reads (each read faults its
	// pages in) or kept.
	maps := map[*os.File][]byte{}
	for _, s := range spans {
		m, err := syscall.Mmap(int(s.f.Fd()), 0, int(s.off)+size, syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			return err
		}
		defer syscall.Munmap(m)
		maps[s.f] = m
	}
	byMap := func(release int) (time.Duration, error) {
		t0 := time.Now()
		for i := range *reads {
			if release > 0 && i%release == 0 {
				for _, m := range maps {
					if err := syscall.Madvise(m, syscall.MADV_DONTNEED); err != nil {
						return 0, err
					}
				}
			}
			s := at[r.IntN(len(at))]
			b := maps[s.f][s.off : s.off+int64(size)]
			sum += crc32.Checksum(b, tab)
			copy(buf, b)
		}
		return time.Since(t0), nil
	}

	ways := []struct {
		name string
		fn   func() (time.Duration, error)
	}{
		{fmt.Sprintf("store, pages released every %d reads", *releaseEvery), func() (time.Duration, error) { return byStore(*releaseEvery) }},
		{"store, pages kept mapped", func() (time.Duration, error) { return byStore(0) }},
		{"pread + CRC-32C", byPread},
		{fmt.Sprintf("own mapping, released every %d reads, + CRC", *releaseEvery), func() (time.Duration, error) { return byMap(*releaseEvery) }},
		{"own mapping kept + CRC", func() (time.Duration, error) { return byMap(0) }},
		{"own mapping released before each read + CRC", func() (time.Duration, error) { return byMap(1) }},
	}
	for _, w := range ways {
		var us []float64
		for pass := range 3 {
			d, err := w.fn()
			if err != nil {
				return err
			}
			if pass > 0 {
				us = append(us, float64(d.Nanoseconds())/1e3/float64(*reads))
			}
		}
		slices.Sort(us)
		fmt.Printf("%-45s %6.2f µs/read (passes: %.2f, %.2f)\n", w.name, (us[0]+us[1])/2, us[0], us[1])
	}
	_ = sum
	return nil
}
