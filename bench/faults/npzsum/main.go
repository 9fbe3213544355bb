// Command npzsum summarises an npz written by `vecimg export` for the fault
// campaign (bench/faults/run.sh), reading the archive itself (not through
// the store package, so that the summary does not depend on the vecimg
// under test; it shares only internal/npz's .npy header reader): the number
// of rows, the SHA-256 of the vectors array, and the number of records per
// cluster label.
//
//	go run ./bench/faults/npzsum FILE.npz
//	rows=5000 vectors=3f2a… labels=812,790,…   (labels=none without labels)
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/vecimg/vecimg/internal/npz"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: npzsum FILE.npz")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "npzsum:", err)
		os.Exit(1)
	}
}

// npy returns the header of one array and its data.
func npy(z *zip.ReadCloser, name string) (npz.Header, []byte, error) {
	f, err := z.Open(name)
	if err != nil {
		return npz.Header{}, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return npz.Header{}, nil, err
	}
	h, err := npz.ReadHeader(bytes.NewReader(b))
	if err != nil {
		return h, nil, fmt.Errorf("%s: %v", name, err)
	}
	return h, b[h.DataOffset:], nil
}

func run(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer z.Close()
	_, vec, err := npy(z, "vectors.npy")
	if err != nil {
		return err
	}
	h, _, err := npy(z, "ids.npy")
	if err != nil {
		return err
	}
	rows := 0
	if len(h.Shape) > 0 {
		rows = h.Shape[0]
	}
	labels := "none"
	if lh, ld, err := npy(z, "labels.npy"); err == nil {
		if lh.Descr != "<i4" {
			return fmt.Errorf("labels dtype %q", lh.Descr)
		}
		count := map[int32]int{}
		for i := 0; i+4 <= len(ld); i += 4 {
			count[int32(binary.LittleEndian.Uint32(ld[i:]))]++
		}
		var ls []int
		for l := range count {
			ls = append(ls, int(l))
		}
		sort.Ints(ls)
		var parts []string
		for _, l := range ls {
			parts = append(parts, fmt.Sprintf("%d:%d", l, count[int32(l)]))
		}
		labels = strings.Join(parts, ",")
	} else if !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "not exist") {
		return err
	}
	fmt.Printf("rows=%d vectors=%x labels=%s\n", rows, sha256.Sum256(vec), labels)
	return nil
}
