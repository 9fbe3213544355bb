package store

import (
	"bytes"
	"strconv"
)

// Key layout. Every key starts with a one-letter prefix and a slash:
//
//	r/<id>\x00d             record data: path, hash, size, added, vector (record encoding)
//	r/<id>\x00m             record metadata: label, distance, extra (meta encoding)
//	h/<32-byte sha>\x00<id> empty value; secondary index content hash → id
//	p/<path>\x00<id>        empty value; secondary index source path → id
//	m/schema                uint64 LE: SchemaVersion of the writer that created the store
//	m/manifest              JSON Manifest
//	m/gen                   uint64 LE: generation, bumped by every Put and Delete
//	m/count                 uint64 LE: number of records
//	m/cluster               JSON ClusterRun
//
// Data and metadata of a record are separate keys so that writing labels
// back rewrites a few bytes per record, not the vector. The NUL separator
// (ids and paths never contain NUL) keeps both keys of one id adjacent and
// keeps the iteration order of r/ equal to the byte order of the ids. The
// hash and path indexes are multi-maps: two records may share content or a
// source path, and deleting one leaves the other's entry intact.
const (
	sep        = 0x00
	suffixData = 'd'
	suffixMeta = 'm'
)

var (
	prefixRecord = []byte("r/")
	prefixHash   = []byte("h/")
	prefixPath   = []byte("p/")
	prefixLabel  = []byte("l/")

	keySchema   = []byte("m/schema")
	keyManifest = []byte("m/manifest")
	keyGen      = []byte("m/gen")
	keyCount    = []byte("m/count")
	keyCluster  = []byte("m/cluster")
	keyRun      = []byte("m/run")
)

func recordKey(id string, suffix byte) []byte {
	k := make([]byte, 0, len(prefixRecord)+len(id)+2)
	k = append(k, prefixRecord...)
	k = append(k, id...)
	return append(k, sep, suffix)
}

// parseRecordKey splits r/<id>\x00<suffix>; ok is false for a malformed key.
func parseRecordKey(k []byte) (id []byte, suffix byte, ok bool) {
	if !bytes.HasPrefix(k, prefixRecord) || len(k) < len(prefixRecord)+3 {
		return nil, 0, false
	}
	rest := k[len(prefixRecord):]
	n := len(rest)
	if rest[n-2] != sep || (rest[n-1] != suffixData && rest[n-1] != suffixMeta) {
		return nil, 0, false
	}
	id = rest[:n-2]
	if bytes.IndexByte(id, sep) >= 0 {
		return nil, 0, false
	}
	return id, rest[n-1], true
}

func hashPrefix(sha [32]byte) []byte {
	k := make([]byte, 0, len(prefixHash)+33)
	k = append(k, prefixHash...)
	k = append(k, sha[:]...)
	return append(k, sep)
}

func hashKey(sha [32]byte, id string) []byte {
	return append(hashPrefix(sha), id...)
}

// parseHashKey splits h/<sha>\x00<id>.
func parseHashKey(k []byte) (sha [32]byte, id []byte, ok bool) {
	rest, found := bytes.CutPrefix(k, prefixHash)
	if !found || len(rest) < 34 || rest[32] != sep {
		return sha, nil, false
	}
	copy(sha[:], rest[:32])
	id = rest[33:]
	if bytes.IndexByte(id, sep) >= 0 {
		return sha, nil, false
	}
	return sha, id, true
}

func pathPrefix(path string) []byte {
	k := make([]byte, 0, len(prefixPath)+len(path)+1)
	k = append(k, prefixPath...)
	k = append(k, path...)
	return append(k, sep)
}

func pathKey(path, id string) []byte {
	return append(pathPrefix(path), id...)
}

// parsePathKey splits p/<path>\x00<id>.
func parsePathKey(k []byte) (path, id []byte, ok bool) {
	rest, found := bytes.CutPrefix(k, prefixPath)
	if !found {
		return nil, nil, false
	}
	i := bytes.IndexByte(rest, sep)
	if i <= 0 || i == len(rest)-1 || bytes.IndexByte(rest[i+1:], sep) >= 0 {
		return nil, nil, false
	}
	return rest[:i], rest[i+1:], true
}

// printableKey renders a key for error messages (binary parts quoted).
func printableKey(k []byte) string {
	return strconv.QuoteToASCII(string(k))
}
