package preprocess

// Huffman tables (DHT segments) and the bit reader of the entropy-coded
// data, for the JPEG decoder in jpeg.go.

type huffTable struct {
	ok      bool
	lut     [1 << huffLookBits]uint16 // (length << 8) | symbol; 0 when the code is longer
	maxcode [18]int32
	valptr  [17]int32
	mincode [17]int32
	vals    [256]uint8
}

const huffLookBits = 9

func (d *jpegDecoder) huffman(b []byte) error {
	for len(b) > 0 {
		if len(b) < 17 {
			return errJPEGFallback
		}
		class, id := b[0]>>4, b[0]&15
		if class > 1 || id > 3 {
			return errJPEGFallback
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(b[l])
			total += counts[l]
		}
		if total > 256 || len(b) < 17+total {
			return errJPEGFallback
		}
		t := &d.dc[id]
		if class == 1 {
			t = &d.ac[id]
		}
		*t = huffTable{}
		copy(t.vals[:], b[17:17+total])
		// Canonical codes: per length, the first code and where its symbols start.
		code, k := int32(0), int32(0)
		for l := 1; l <= 16; l++ {
			t.valptr[l] = k
			t.mincode[l] = code
			code += int32(counts[l])
			k += int32(counts[l])
			if counts[l] > 0 {
				t.maxcode[l] = code - 1
			} else {
				t.maxcode[l] = -1
			}
			if code > 1<<l {
				return errJPEGFallback // over-subscribed
			}
			code <<= 1
		}
		t.maxcode[17] = 1 << 30 // sentinel
		// Fast lookup for codes of up to huffLookBits bits.
		code, k = 0, 0
		for l := 1; l <= huffLookBits; l++ {
			for range counts[l] {
				shift := huffLookBits - l
				for x := code << shift; x < (code+1)<<shift; x++ {
					t.lut[x] = uint16(l)<<8 | uint16(t.vals[k])
				}
				code++
				k++
			}
			code <<= 1
		}
		t.ok = true
		b = b[17+total:]
	}
	return nil
}

// --- bit reader ---

func (d *jpegDecoder) resetBits() {
	d.acc, d.nbits, d.padding, d.stopped = 0, 0, 0, false
}

// fill tops the accumulator up to at least 57 bits, unstuffing 0xFF00 and
// stopping at a marker, after which it supplies zero bits as libjpeg does.
func (d *jpegDecoder) fill() {
	for d.nbits <= 56 {
		var b byte
		if !d.stopped {
			if d.pos >= len(d.data) {
				d.stopped = true
			} else if d.data[d.pos] == 0xff {
				if d.pos+1 < len(d.data) && d.data[d.pos+1] == 0x00 {
					b = 0xff
					d.pos += 2
				} else {
					d.stopped = true
				}
			} else {
				b = d.data[d.pos]
				d.pos++
			}
		}
		if d.stopped {
			d.padding += 8
		}
		d.acc |= uint64(b) << (56 - d.nbits)
		d.nbits += 8
	}
}

// consume drops n bits, failing if any of them was padding.
func (d *jpegDecoder) consume(n int) error {
	d.acc <<= n
	d.nbits -= n
	if d.padding > d.nbits {
		return errJPEGShort
	}
	return nil
}

func (d *jpegDecoder) getBits(n int) (int32, error) {
	if n == 0 {
		return 0, nil
	}
	if d.nbits < n {
		d.fill()
	}
	v := int32(d.acc >> (64 - n))
	return v, d.consume(n)
}

func (d *jpegDecoder) getBit() (bool, error) {
	v, err := d.getBits(1)
	return v != 0, err
}

// receiveExtend reads s bits and sign-extends them (JPEG's EXTEND).
func (d *jpegDecoder) receiveExtend(s int) (int32, error) {
	if s == 0 {
		return 0, nil
	}
	if s > 16 {
		return 0, errJPEGFallback
	}
	v, err := d.getBits(s)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v, err
}

func (d *jpegDecoder) decodeHuff(t *huffTable) (int, error) {
	if d.nbits < 16 {
		d.fill()
	}
	if e := t.lut[d.acc>>(64-huffLookBits)]; e != 0 {
		return int(e & 0xff), d.consume(int(e >> 8))
	}
	for l := huffLookBits + 1; l <= 16; l++ {
		code := int32(d.acc >> (64 - l))
		if code <= t.maxcode[l] {
			k := t.valptr[l] + code - t.mincode[l]
			if k < 0 || k > 255 {
				return 0, errJPEGFallback
			}
			return int(t.vals[k]), d.consume(l)
		}
	}
	return 0, errJPEGFallback // no such code: corrupt data
}
