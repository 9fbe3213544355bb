package vgg

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
)

// This file is a small, defensive unpickler: enough of Python's pickle
// virtual machine (protocols 0–5, binary opcodes) to read what torch.save
// writes for a state_dict. It never calls into anything: GLOBAL yields a
// pyGlobal name, REDUCE and NEWOBJ hand the name and arguments to a hook
// (pth.go turns torch's tensor rebuilds into tensor references) and otherwise
// produce an inert pyObject. Every length read from the stream is checked
// against the bytes that remain, so a hostile header cannot make it allocate
// more than the input's size, and every malformed input is an error, never a
// panic.

// Python values as the unpickler represents them.
type (
	pyGlobal struct{ module, name string } // a class or function reference
	pyTuple  []any
	pyList   struct{ items []any }
	pyDict   struct {
		keys  []any
		vals  []any
		index map[string]int // string keys → position
	}
	pyObject struct { // an instance of a class the reader does not model
		class pyGlobal
		args  []any
		state any
	}
)

func (g pyGlobal) String() string { return g.module + "." + g.name }

func newDict() *pyDict { return &pyDict{index: map[string]int{}} }

func (d *pyDict) set(k, v any) {
	if s, ok := k.(string); ok {
		if i, dup := d.index[s]; dup {
			d.vals[i] = v
			return
		}
		d.index[s] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Limits that keep a hostile pickle bounded; a state_dict's pickle is a few
// hundred kilobytes at most.
const (
	maxPickleBytes = 64 << 20 // one pickle stream
	maxStack       = 1 << 20  // values on the stack, all marks together
	maxLine        = 4096     // text-opcode argument lines (GLOBAL names)
	maxLongBytes   = 1024     // LONG1/LONG4 payloads
)

var errStop = errors.New("pickle STOP")

// pickleSource feeds bytes to the unpickler and counts them, so that the
// legacy format can find where the pickles end and the storages begin.
type pickleSource struct {
	r     *bufio.Reader
	pos   int64 // bytes consumed
	limit int64 // bytes that may be consumed in total
}

func (s *pickleSource) byte() (byte, error) {
	if s.pos >= s.limit {
		return 0, io.ErrUnexpectedEOF
	}
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, eofUnexpected(err)
	}
	s.pos++
	return b, nil
}

func (s *pickleSource) bytes(n int64) ([]byte, error) {
	if n < 0 || n > s.limit-s.pos {
		return nil, fmt.Errorf("length %d runs past the end of the data (%d bytes left)", n, s.limit-s.pos)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(s.r, buf); err != nil {
		return nil, eofUnexpected(err)
	}
	s.pos += n
	return buf, nil
}

func (s *pickleSource) line() (string, error) {
	var buf []byte
	for {
		b, err := s.byte()
		if err != nil {
			return "", err
		}
		if b == '\n' {
			return string(buf), nil
		}
		if len(buf) >= maxLine {
			return "", fmt.Errorf("text argument longer than %d bytes", maxLine)
		}
		buf = append(buf, b)
	}
}

func (s *pickleSource) uint(n int) (uint64, error) {
	b, err := s.bytes(int64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// unpickler runs one pickle stream.
type unpickler struct {
	src   *pickleSource
	stack []any
	marks []int // stack heights at each MARK
	memo  map[uint64]any
	// persistentLoad resolves BINPERSID/PERSID ids; nil makes them errors.
	persistentLoad func(pid any) (any, error)
	// reduce builds callable(args...) for REDUCE and NEWOBJ; returning
	// handled=false falls back to the generic behaviour.
	reduce func(fn pyGlobal, args pyTuple) (v any, handled bool, err error)
}

func newUnpickler(src *pickleSource) *unpickler {
	return &unpickler{src: src, memo: map[uint64]any{}}
}

// load runs until STOP and returns the value on top of the stack. Errors
// carry the stream offset of the failing opcode.
func (u *unpickler) load() (any, error) {
	u.stack = u.stack[:0]
	u.marks = u.marks[:0]
	for {
		at := u.src.pos
		op, err := u.src.byte()
		if err != nil {
			return nil, fmt.Errorf("pickle: reading opcode at byte %d: %w", at, err)
		}
		err = u.step(op)
		if err == errStop {
			if len(u.stack) != 1 || len(u.marks) != 0 {
				return nil, fmt.Errorf("pickle: STOP at byte %d with %d values and %d marks on the stack", at, len(u.stack), len(u.marks))
			}
			return u.stack[0], nil
		}
		if err != nil {
			return nil, fmt.Errorf("pickle: opcode %q at byte %d: %w", op, at, err)
		}
		if len(u.stack)+len(u.marks) > maxStack {
			return nil, fmt.Errorf("pickle: more than %d values on the stack at byte %d", maxStack, at)
		}
	}
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	floor := 0
	if n := len(u.marks); n > 0 {
		floor = u.marks[n-1]
	}
	if len(u.stack) <= floor {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	floor := 0
	if n := len(u.marks); n > 0 {
		floor = u.marks[n-1]
	}
	if len(u.stack) <= floor {
		return nil, errors.New("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the values pushed since the last MARK and removes them and
// the mark.
func (u *unpickler) popMark() ([]any, error) {
	n := len(u.marks)
	if n == 0 {
		return nil, errors.New("no MARK on the stack")
	}
	h := u.marks[n-1]
	u.marks = u.marks[:n-1]
	items := append([]any(nil), u.stack[h:]...)
	u.stack = u.stack[:h]
	return items, nil
}

func (u *unpickler) memoGet(i uint64) error {
	v, ok := u.memo[i]
	if !ok {
		return fmt.Errorf("memo entry %d was never stored", i)
	}
	u.push(v)
	return nil
}

func (u *unpickler) memoPut(i uint64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) pushBytes(lenBytes int, asString bool) error {
	n, err := u.src.uint(lenBytes)
	if err != nil {
		return err
	}
	if n > maxPickleBytes {
		return fmt.Errorf("string of %d bytes is too long", n)
	}
	b, err := u.src.bytes(int64(n))
	if err != nil {
		return err
	}
	if asString {
		u.push(string(b))
	} else {
		u.push(b)
	}
	return nil
}

func (u *unpickler) pushLong(lenBytes int) error {
	n, err := u.src.uint(lenBytes)
	if err != nil {
		return err
	}
	if n > maxLongBytes {
		return fmt.Errorf("integer of %d bytes is too long", n)
	}
	b, err := u.src.bytes(int64(n))
	if err != nil {
		return err
	}
	u.push(decodeLong(b))
	return nil
}

// decodeLong decodes a little-endian two's-complement integer: int64 when it
// fits, *big.Int otherwise.
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := uint(64 - 8*len(b))
		return int64(v<<shift) >> shift // sign-extend
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}

func (u *unpickler) call(fn any, args pyTuple) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, fmt.Errorf("calling a %T, not a class or function", fn)
	}
	if u.reduce != nil {
		v, handled, err := u.reduce(g, args)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g, err)
		}
		if handled {
			return v, nil
		}
	}
	switch g.String() {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
		d := newDict()
		if len(args) == 1 { // Python 2's OrderedDict.__reduce__: a list of [key, value]
			if l, ok := args[0].(*pyList); ok {
				for _, it := range l.items {
					kv, ok := asSeq(it)
					if !ok || len(kv) != 2 {
						return nil, fmt.Errorf("%s: item is not a key/value pair", g)
					}
					d.set(kv[0], kv[1])
				}
			}
		}
		return d, nil
	}
	return &pyObject{class: g, args: args}, nil
}

func asSeq(v any) ([]any, bool) {
	switch s := v.(type) {
	case pyTuple:
		return s, true
	case *pyList:
		return s.items, true
	}
	return nil, false
}

func (u *unpickler) setItems(target any, kv []any) error {
	d, ok := target.(*pyDict)
	if !ok {
		return fmt.Errorf("setting items on a %T, not a dict", target)
	}
	if len(kv)%2 != 0 {
		return errors.New("odd number of values for key/value pairs")
	}
	for i := 0; i < len(kv); i += 2 {
		d.set(kv[i], kv[i+1])
	}
	return nil
}

func (u *unpickler) appendItems(target any, items []any) error {
	l, ok := target.(*pyList)
	if !ok {
		return fmt.Errorf("appending to a %T, not a list", target)
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		v, err := u.src.byte()
		if err != nil {
			return err
		}
		if v > 5 {
			return fmt.Errorf("unsupported pickle protocol %d", v)
		}
	case 0x95: // FRAME: a length hint only; the opcodes follow in-line
		_, err := u.src.uint(8)
		return err
	case '.': // STOP
		return errStop
	case '(': // MARK
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		if len(u.marks) > 0 && u.marks[len(u.marks)-1] == len(u.stack) {
			u.marks = u.marks[:len(u.marks)-1] // Python pops a bare mark too
			return nil
		}
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)

	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'J': // BININT
		v, err := u.src.uint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(uint32(v))))
	case 'K': // BININT1
		v, err := u.src.uint(1)
		if err != nil {
			return err
		}
		u.push(int64(v))
	case 'M': // BININT2
		v, err := u.src.uint(2)
		if err != nil {
			return err
		}
		u.push(int64(v))
	case 0x8a: // LONG1
		return u.pushLong(1)
	case 0x8b: // LONG4
		return u.pushLong(4)
	case 'I': // INT (text; "00"/"01" are False/True)
		s, err := u.src.line()
		if err != nil {
			return err
		}
		switch s {
		case "00":
			u.push(false)
		case "01":
			u.push(true)
		default:
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("INT %q: %w", s, err)
			}
			u.push(v)
		}
	case 'L': // LONG (text)
		s, err := u.src.line()
		if err != nil {
			return err
		}
		if n := len(s); n > 0 && s[n-1] == 'L' {
			s = s[:n-1]
		}
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return fmt.Errorf("LONG %q is not a number", s)
		}
		if v.IsInt64() {
			u.push(v.Int64())
		} else {
			u.push(v)
		}
	case 'G': // BINFLOAT (big-endian)
		b, err := u.src.bytes(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	case 'X': // BINUNICODE
		return u.pushBytes(4, true)
	case 0x8c: // SHORT_BINUNICODE
		return u.pushBytes(1, true)
	case 0x8d: // BINUNICODE8
		return u.pushBytes(8, true)
	case 'T': // BINSTRING (Python 2 str: read as text)
		return u.pushBytes(4, true)
	case 'U': // SHORT_BINSTRING
		return u.pushBytes(1, true)
	case 'B': // BINBYTES
		return u.pushBytes(4, false)
	case 'C': // SHORT_BINBYTES
		return u.pushBytes(1, false)
	case 0x8e: // BINBYTES8
		return u.pushBytes(8, false)

	case ')':
		u.push(pyTuple{})
	case 't':
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		n := int(op - 0x84)
		t := make(pyTuple, n)
		for i := n - 1; i >= 0; i-- {
			v, err := u.pop()
			if err != nil {
				return err
			}
			t[i] = v
		}
		u.push(t)
	case ']', 0x8f: // EMPTY_LIST, EMPTY_SET (a set is kept as a list)
		u.push(&pyList{})
	case 'l', 0x91: // LIST, FROZENSET
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		l, err := u.top()
		if err != nil {
			return err
		}
		return u.appendItems(l, []any{v})
	case 'e', 0x90: // APPENDS, ADDITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		l, err := u.top()
		if err != nil {
			return err
		}
		return u.appendItems(l, items)
	case '}':
		u.push(newDict())
	case 'd': // DICT
		kv, err := u.popMark()
		if err != nil {
			return err
		}
		d := newDict()
		if err := u.setItems(d, kv); err != nil {
			return err
		}
		u.push(d)
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		d, err := u.top()
		if err != nil {
			return err
		}
		return u.setItems(d, []any{k, v})
	case 'u': // SETITEMS
		kv, err := u.popMark()
		if err != nil {
			return err
		}
		d, err := u.top()
		if err != nil {
			return err
		}
		return u.setItems(d, kv)

	case 'c': // GLOBAL "module\nname\n"
		mod, err := u.src.line()
		if err != nil {
			return err
		}
		name, err := u.src.line()
		if err != nil {
			return err
		}
		u.push(pyGlobal{mod, name})
	case 0x93: // STACK_GLOBAL
		name, err := u.pop()
		if err != nil {
			return err
		}
		mod, err := u.pop()
		if err != nil {
			return err
		}
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return errors.New("STACK_GLOBAL needs two strings")
		}
		u.push(pyGlobal{ms, ns})
	case 'R', 0x81: // REDUCE, NEWOBJ: callable, args tuple
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		t, ok := args.(pyTuple)
		if !ok {
			return fmt.Errorf("arguments are a %T, not a tuple", args)
		}
		v, err := u.call(fn, t)
		if err != nil {
			return err
		}
		u.push(v)
	case 'b': // BUILD: __setstate__; kept on objects, ignored elsewhere
		state, err := u.pop()
		if err != nil {
			return err
		}
		target, err := u.top()
		if err != nil {
			return err
		}
		if o, ok := target.(*pyObject); ok {
			o.state = state
		}

	case 'p': // PUT (text)
		s, err := u.src.line()
		if err != nil {
			return err
		}
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("PUT %q: %w", s, err)
		}
		return u.memoPut(i)
	case 'q': // BINPUT
		i, err := u.src.uint(1)
		if err != nil {
			return err
		}
		return u.memoPut(i)
	case 'r': // LONG_BINPUT
		i, err := u.src.uint(4)
		if err != nil {
			return err
		}
		return u.memoPut(i)
	case 0x94: // MEMOIZE
		return u.memoPut(uint64(len(u.memo)))
	case 'g': // GET (text)
		s, err := u.src.line()
		if err != nil {
			return err
		}
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("GET %q: %w", s, err)
		}
		return u.memoGet(i)
	case 'h': // BINGET
		i, err := u.src.uint(1)
		if err != nil {
			return err
		}
		return u.memoGet(i)
	case 'j': // LONG_BINGET
		i, err := u.src.uint(4)
		if err != nil {
			return err
		}
		return u.memoGet(i)

	case 'Q', 'P': // BINPERSID, PERSID
		var pid any
		if op == 'Q' {
			v, err := u.pop()
			if err != nil {
				return err
			}
			pid = v
		} else {
			s, err := u.src.line()
			if err != nil {
				return err
			}
			pid = s
		}
		if u.persistentLoad == nil {
			return errors.New("persistent id in a pickle that should have none")
		}
		v, err := u.persistentLoad(pid)
		if err != nil {
			return err
		}
		u.push(v)
	default:
		return fmt.Errorf("unsupported opcode 0x%02x", op)
	}
	return nil
}
