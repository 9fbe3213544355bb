package cluster

import "strings"

// NaturalLess reports whether id a sorts before id b in natural order: the
// ids are compared as sequences of digit runs and non-digit runs; two digit
// runs compare by numeric value (of any length, so "2" < "10" and
// "img9" < "img10"), anything else compares bytewise. Ids that are equal
// under that rule (such as "7" and "007") fall back to plain bytewise order,
// so NaturalLess is a strict total order. Purely numeric ids therefore sort
// numerically and ids without digits sort lexicographically.
func NaturalLess(a, b string) bool { return NaturalCompare(a, b) < 0 }

// NaturalCompare is the three-way form of NaturalLess, for slices.SortFunc:
// -1 when a sorts before b, +1 when after, 0 only when a == b.
func NaturalCompare(a, b string) int {
	if c := compareRuns(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// compareRuns compares a and b run by run as NaturalLess describes,
// returning 0 when they differ at most in leading zeros.
func compareRuns(a, b string) int {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		a, b = a[len(ra):], b[len(rb):]
		da, db := isDigit(ra[0]), isDigit(rb[0])
		if da && db {
			if c := compareNumeric(ra, rb); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	default:
		return 1
	}
}

// run returns the leading run of digits or of non-digits of s (s non-empty).
func run(s string) string {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// compareNumeric compares two digit strings by value.
func compareNumeric(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
