package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
)

// The jobs that go back to a record's source file (dups --rehash, the
// calibration, --move-to) first check that the file still holds what was
// stored: its SHA-256 against the record's. These two functions are that
// check, one for callers that need the bytes and one that streams.

var errChanged = errors.New("the file's content changed since it was stored")

// readStored reads the file at path and returns its bytes, or errChanged
// when their SHA-256 (hex) is not sha: a record without a stored SHA-256
// cannot be checked, so its file counts as changed.
func readStored(path, sha string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return nil, errChanged
	}
	return data, nil
}

// checkStored checks the file at path as readStored does, without keeping
// its bytes: nil, errChanged, or the error of reading the file. Unlike
// readStored, an empty sha checks only that the file can be read.
func checkStored(path, sha string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if sha != "" && hex.EncodeToString(h.Sum(nil)) != sha {
		return errChanged
	}
	return nil
}
