package vgg

import (
	"bufio"
	"bytes"
	"math/big"
	"strings"
	"testing"
)

func unpickle(b []byte) (any, error) {
	src := &pickleSource{r: bufio.NewReader(bytes.NewReader(b)), limit: int64(len(b))}
	return newUnpickler(src).load()
}

func TestUnpickleValues(t *testing.T) {
	// {'a': 1, 'b': [2, -2, -1]} as Python's pickle protocol 2 writes it,
	// with the -1 as LONG1.
	v, err := unpickle([]byte("\x80\x02}q\x00(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00b]q\x01(K\x02J\xfe\xff\xff\xff\x8a\x01\xffeu."))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(*pyDict)
	if !ok {
		t.Fatalf("got %s, want a dict", describe(v))
	}
	if a, _ := d.get("a"); a != int64(1) {
		t.Errorf("a = %v", a)
	}
	b, _ := d.get("b")
	l, ok := b.(*pyList)
	if !ok || len(l.items) != 3 || l.items[0] != int64(2) || l.items[1] != int64(-2) || l.items[2] != int64(-1) {
		t.Errorf("b = %s %v", describe(b), b)
	}
}

func TestUnpickleMemoAndTuples(t *testing.T) {
	// ('x', 'x', ()) built with BINPUT/BINGET and TUPLE3.
	v, err := unpickle([]byte("\x80\x02X\x01\x00\x00\x00xq\x05h\x05)\x87."))
	if err != nil {
		t.Fatal(err)
	}
	tp, ok := v.(pyTuple)
	if !ok || len(tp) != 3 || tp[0] != "x" || tp[1] != "x" {
		t.Fatalf("got %v", v)
	}
	if inner, ok := tp[2].(pyTuple); !ok || len(inner) != 0 {
		t.Fatalf("third item %v", tp[2])
	}
}

func TestUnpicklePython2OrderedDict(t *testing.T) {
	// Python 2's OrderedDict.__reduce__: OrderedDict([['k', 7]]), with a
	// SHORT_BINSTRING key.
	v, err := unpickle([]byte("\x80\x02ccollections\nOrderedDict\n]](U\x01kK\x07ea\x85R."))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(*pyDict)
	if !ok {
		t.Fatalf("got %s", describe(v))
	}
	if k, _ := d.get("k"); k != int64(7) {
		t.Fatalf("k = %v", k)
	}
}

func TestUnpickleUnknownCallIsInert(t *testing.T) {
	// os.system('x') must not run anything: it becomes an inert object.
	v, err := unpickle([]byte("\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*pyObject)
	if !ok || o.class.String() != "os.system" {
		t.Fatalf("got %s", describe(v))
	}
}

func TestDecodeLong(t *testing.T) {
	if got := decodeLong([]byte{0xff}); got != int64(-1) {
		t.Errorf("ff = %v", got)
	}
	if got := decodeLong([]byte{0x00, 0x80}); got != int64(-32768) {
		t.Errorf("0080 = %v", got)
	}
	if got := decodeLong([]byte{0x80, 0x00}); got != int64(128) {
		t.Errorf("8000 = %v", got)
	}
	if got := decodeLong(nil); got != int64(0) {
		t.Errorf("empty = %v", got)
	}
	magic := []byte{0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}
	if got, ok := decodeLong(magic).(*big.Int); !ok || got.Cmp(legacyMagic) != 0 {
		t.Errorf("magic = %v", got)
	}
	neg := decodeLong([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff}) // -2^64
	want := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 64))
	if got, ok := neg.(*big.Int); !ok || got.Cmp(want) != 0 {
		t.Errorf("-2^64 = %v", neg)
	}
}

func TestUnpickleErrors(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"unknown opcode":   {"\x80\x02\xff.", "unsupported opcode"},
		"protocol 9":       {"\x80\x09N.", "protocol 9"},
		"underflow":        {"\x80\x02s.", "underflow"},
		"setitem on list":  {"\x80\x02]K\x01K\x02s.", "not a dict"},
		"append to dict":   {"\x80\x02}K\x01a.", "not a list"},
		"extra values":     {"\x80\x02K\x01K\x02.", "2 values"},
		"open mark":        {"\x80\x02(K\x01.", "marks"},
		"missing memo":     {"\x80\x02h\x03.", "never stored"},
		"short string":     {"\x80\x02X\x05\x00\x00\x00ab", "past the end"},
		"no stop":          {"\x80\x02K\x01", "unexpected EOF"},
		"persid":           {"\x80\x02K\x01Q.", "persistent id"},
		"reduce non-tuple": {"\x80\x02cos\nsystem\nK\x01R.", "not a tuple"},
		"call a number":    {"\x80\x02K\x01)R.", "not a class"},
		"tuple no mark":    {"\x80\x02K\x01t.", "no MARK"},
		"long too long":    {"\x80\x02\x8b\x00\x00\x10\x00.", "too long"},
		"global no line":   {"\x80\x02cos", "unexpected EOF"},
		"empty":            {"", "unexpected EOF"},
	} {
		_, err := unpickle([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, c.want)
		}
	}
}

func TestUnpickleStackLimit(t *testing.T) {
	b := append([]byte("\x80\x02"), bytes.Repeat([]byte("N"), maxStack+1)...)
	_, err := unpickle(append(b, '.'))
	if err == nil || !strings.Contains(err.Error(), "on the stack") {
		t.Fatalf("err = %v", err)
	}
}
