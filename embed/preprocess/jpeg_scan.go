package preprocess

// Scans (SOS) of the JPEG decoder in jpeg.go: baseline and progressive
// blocks, restart markers and end-of-band runs.

// scan decodes one scan whose header is b; the entropy-coded data follows at d.pos.
func (d *jpegDecoder) scan(b []byte) error {
	if !d.sof || len(b) < 1 {
		return errJPEGFallback
	}
	if d.scans == 0 {
		if err := d.colorSpace(); err != nil {
			return err
		}
	}
	ns := int(b[0])
	if ns < 1 || ns > len(d.comps) || len(b) < 1+2*ns+3 {
		return errJPEGFallback
	}
	var sc [4]*jpegComponent
	var td, ta [4]uint8
	for i := range ns {
		id := b[1+2*i]
		for j := range d.comps {
			if d.comps[j].id == id {
				sc[i] = &d.comps[j]
			}
		}
		if sc[i] == nil {
			return errJPEGFallback
		}
		td[i], ta[i] = b[2+2*i]>>4, b[2+2*i]&15
		if td[i] > 3 || ta[i] > 3 {
			return errJPEGFallback
		}
	}
	ss, se := int(b[1+2*ns]), int(b[2+2*ns])
	ah, al := int(b[3+2*ns]>>4), int(b[3+2*ns]&15)
	if d.progressive {
		if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13 || ah > 13 {
			return errJPEGFallback
		}
	} else if ss != 0 || se != 63 || ah != 0 || al != 0 {
		return errJPEGFallback
	}
	for i := range ns {
		c := sc[i]
		if !c.qSet {
			if !d.qtSet[c.tq] {
				return errJPEGFallback
			}
			c.q, c.qSet = d.qt[c.tq], true
		}
		c.seen = true
		c.pred = 0
		needDC := ss == 0 && ah == 0 // sequential scans and first DC scans
		needAC := !d.progressive || ss > 0
		if (needDC && !d.dc[td[i]].ok) || (needAC && !d.ac[ta[i]].ok) {
			return errJPEGFallback
		}
	}
	d.scans++
	d.eobrun = 0
	d.resetBits()

	// MCU layout: interleaved scans cover whole MCUs of every component;
	// a single-component scan covers that component's own blocks one by one.
	var mcusX, mcusY int
	if ns == 1 {
		mcusX, mcusY = sc[0].cw, sc[0].ch
	} else {
		mcusX, mcusY = d.mcux, d.mcuy
	}
	restartsLeft := d.restart
	nextRST := 0
	for my := range mcusY {
		for mx := range mcusX {
			if d.restart > 0 {
				if restartsLeft == 0 {
					if err := d.expectRestart(nextRST); err != nil {
						return err
					}
					nextRST = (nextRST + 1) & 7
					restartsLeft = d.restart
					for i := range ns {
						sc[i].pred = 0
					}
					d.eobrun = 0
				}
				restartsLeft--
			}
			for i := range ns {
				c := sc[i]
				bxs, bys := 1, 1
				if ns > 1 {
					bxs, bys = c.h, c.v
				}
				for by := range bys {
					for bx := range bxs {
						var bi int
						if ns > 1 {
							bi = (my*c.v+by)*c.bw + mx*c.h + bx
						} else {
							bi = my*c.bw + mx
						}
						var err error
						if !d.progressive {
							// Sequential: each block is complete once decoded;
							// transform it straight into the plane.
							blk := &d.block
							*blk = [64]int16{}
							hasAC, err := d.blockBaseline(blk, c, &d.dc[td[i]], &d.ac[ta[i]])
							if err != nil {
								return err
							}
							if bx, by := bi%c.bw, bi/c.bw; bx >= c.bx0 && bx < c.bx1 && by >= c.by0 && by < c.by1 {
								stride := 8 * c.bw
								if hasAC {
									idctIslow(blk, &c.q, c.plane[8*by*stride+8*bx:], stride)
								} else {
									idctDC(blk[0], c.q[0], c.plane[8*by*stride+8*bx:], stride)
								}
							}
							continue
						}
						blk := (*[64]int16)(c.coef[64*bi : 64*bi+64])
						switch {
						case ss == 0 && ah == 0:
							err = d.blockDCFirst(blk, c, &d.dc[td[i]], al)
						case ss == 0:
							err = d.blockDCRefine(blk, al)
						case ah == 0:
							err = d.blockACFirst(blk, &d.ac[ta[i]], ss, se, al)
						default:
							err = d.blockACRefine(blk, &d.ac[ta[i]], ss, se, al)
						}
						if err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return d.endScan()
}

// expectRestart discards the partial byte and reads marker RST<n>.
func (d *jpegDecoder) expectRestart(n int) error {
	d.resetBits()
	if d.pos+1 >= len(d.data) || d.data[d.pos] != 0xff || d.data[d.pos+1] != 0xd0+byte(n) {
		return errJPEGFallback
	}
	d.pos += 2
	return nil
}

// endScan leaves d.pos at the marker that ends the entropy-coded data.
func (d *jpegDecoder) endScan() error {
	d.resetBits()
	for d.pos < len(d.data) {
		if d.data[d.pos] == 0xff && d.pos+1 < len(d.data) && d.data[d.pos+1] != 0x00 && (d.data[d.pos+1] < 0xd0 || d.data[d.pos+1] > 0xd7) {
			return nil
		}
		d.pos++
	}
	return nil
}

// --- blocks ---

// blockBaseline decodes a sequential block; hasAC reports whether any AC
// coefficient is non-zero.
func (d *jpegDecoder) blockBaseline(blk *[64]int16, c *jpegComponent, dc, ac *huffTable) (hasAC bool, err error) {
	t, err := d.decodeHuff(dc)
	if err != nil {
		return false, err
	}
	diff, err := d.receiveExtend(t)
	if err != nil {
		return false, err
	}
	c.pred += diff
	blk[0] = int16(c.pred)
	for k := 1; k < 64; k++ {
		rs, err := d.decodeHuff(ac)
		if err != nil {
			return false, err
		}
		r, s := rs>>4, rs&15
		if s == 0 {
			if r != 15 {
				return hasAC, nil // end of block
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return false, errJPEGFallback
		}
		v, err := d.receiveExtend(s)
		if err != nil {
			return false, err
		}
		blk[unzig[k]] = int16(v)
		hasAC = true
	}
	return hasAC, nil
}

func (d *jpegDecoder) blockDCFirst(blk *[64]int16, c *jpegComponent, dc *huffTable, al int) error {
	t, err := d.decodeHuff(dc)
	if err != nil {
		return err
	}
	diff, err := d.receiveExtend(t)
	if err != nil {
		return err
	}
	c.pred += diff
	blk[0] = int16(c.pred << al)
	return nil
}

func (d *jpegDecoder) blockDCRefine(blk *[64]int16, al int) error {
	bit, err := d.getBit()
	if bit {
		blk[0] |= 1 << al
	}
	return err
}

func (d *jpegDecoder) blockACFirst(blk *[64]int16, ac *huffTable, ss, se, al int) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	for k := ss; k <= se; k++ {
		rs, err := d.decodeHuff(ac)
		if err != nil {
			return err
		}
		r, s := rs>>4, rs&15
		if s == 0 {
			if r < 15 {
				if err := d.readEOBRun(r); err != nil {
					return err
				}
				d.eobrun--
				return nil
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return errJPEGFallback
		}
		v, err := d.receiveExtend(s)
		if err != nil {
			return err
		}
		blk[unzig[k]] = int16(v << al)
	}
	return nil
}

// refineNonZero appends a correction bit to a coefficient already non-zero.
func (d *jpegDecoder) refineNonZero(p *int16, p1 int16) error {
	bit, err := d.getBit()
	if err != nil {
		return err
	}
	if bit && *p&p1 == 0 {
		if *p >= 0 {
			*p += p1
		} else {
			*p -= p1
		}
	}
	return nil
}

func (d *jpegDecoder) blockACRefine(blk *[64]int16, ac *huffTable, ss, se, al int) error {
	p1 := int16(1) << al
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			rs, err := d.decodeHuff(ac)
			if err != nil {
				return err
			}
			r, s := rs>>4, rs&15
			var val int16
			if s != 0 {
				if s != 1 {
					return errJPEGFallback
				}
				bit, err := d.getBit()
				if err != nil {
					return err
				}
				val = -p1
				if bit {
					val = p1
				}
			} else if r != 15 {
				if err := d.readEOBRun(r); err != nil {
					return err
				}
				break
			}
			// Skip r zero coefficients (refining the non-zero ones passed on
			// the way), then place val on the next zero one.
			for ; k <= se; k++ {
				p := &blk[unzig[k]]
				if *p != 0 {
					if err := d.refineNonZero(p, p1); err != nil {
						return err
					}
				} else {
					if r == 0 {
						break
					}
					r--
				}
			}
			if val != 0 && k <= se {
				blk[unzig[k]] = val
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= se; k++ {
			p := &blk[unzig[k]]
			if *p != 0 {
				if err := d.refineNonZero(p, p1); err != nil {
					return err
				}
			}
		}
		d.eobrun--
	}
	return nil
}

// readEOBRun sets the end-of-band run that an EOBr symbol starts: 2^r plus r
// more bits read from the stream (progressive AC scans).
func (d *jpegDecoder) readEOBRun(r int) error {
	d.eobrun = 1 << r
	if r > 0 {
		extra, err := d.getBits(r)
		if err != nil {
			return err
		}
		d.eobrun += int(extra)
	}
	return nil
}
