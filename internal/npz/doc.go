// Package npz is the tree's one NumPy codec. Reader reads the ids and
// vectors of an .npz archive (as numpy.savez and numpy.savez_compressed
// write it, and `vecimg export`) row by row, without holding the arrays in
// memory; Writer writes an .npz (string, int32 and streamed float32 arrays)
// that numpy.load reads without pickle (store.ExportNPZ uses it).
//
// The archive must hold ids.npy, a 1-D array of unicode ('<U{n}') or byte
// ('|S{n}') strings, and vectors.npy, a 2-D float32 array ('<f4' or '>f4')
// in C order with one row per id. Members may be stored or
// deflate-compressed; other members (labels.npy) are ignored. Object arrays
// (pickled Python objects, which is what ragged lists become) are refused,
// never unpickled. A truncated or damaged archive gives an error at Open or
// at the row where it shows (each member's CRC-32 is checked at its end).
//
// It also holds the one .npy header codec of the tree: ReadHeader parses the
// header of any .npy (versions 1 to 3) and EncodeHeader writes a version 1.0
// header as numpy.save does; Writer and the bench tools use them.
package npz
