package npz

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parseDict parses the Python literal of an .npy header: a dict with string
// keys whose values are strings, True/False, ints, tuples or lists of those.
func parseDict(s string) (map[string]any, error) {
	p := &litParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("text after the dict at %d", p.i)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a dict")
	}
	return d, nil
}

type litParser struct {
	s     string
	i     int
	depth int
}

func (p *litParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	if p.depth > 8 {
		return nil, errors.New("nested too deeply")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '(' || c == '[':
		return p.seq(map[byte]byte{'(': ')', '[': ']'}[c])
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		j := p.i + 1
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j < len(p.s) && p.s[j] == 'L' { // Python 2 long
			n, err := p.atoi(j)
			p.i = j + 1
			return n, err
		}
		n, err := p.atoi(j)
		p.i = j
		return n, err
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return nil, fmt.Errorf("unexpected byte 0x%02x at %d", p.s[p.i], p.i)
}

func (p *litParser) str() (string, error) {
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+j]
	p.i += j + 2
	return v, nil
}

func (p *litParser) seq(end byte) ([]any, error) {
	p.i++
	p.depth++
	defer func() { p.depth-- }()
	out := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		return nil, fmt.Errorf("expected , or %c at %d", end, p.i)
	}
}

func (p *litParser) dict() (map[string]any, error) {
	p.i++
	p.depth++
	defer func() { p.depth-- }()
	out := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return out, nil
		}
		if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
			return nil, fmt.Errorf("expected a string key at %d", p.i)
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("expected : at %d", p.i)
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[k] = v
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return out, nil
		}
		return nil, fmt.Errorf("expected , or } at %d", p.i)
	}
}

// atoi is the integer at p.i..j; its error names the position, not the
// bytes (a damaged header is not quoted back).
func (p *litParser) atoi(j int) (int, error) {
	n, err := strconv.Atoi(p.s[p.i:j])
	if err != nil {
		return 0, fmt.Errorf("bad integer at %d", p.i)
	}
	return n, nil
}
