package ingest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MinYear and MaxYear bound every model year a source file may name.
const (
	MinYear = 1900
	MaxYear = 2100
)

// ParseYears expands a years cell: a single year (`2024`), a range (`2020-2024`) or a
// comma-separated list of both (`2012-2016, 2018-2023`). The result is ascending and
// free of duplicates: overlapping or repeated parts (`2019-2021, 2020`) are accepted and
// merged, because they describe the same set of years; a gap between parts stays a gap.
// Reversed ranges, non-numbers, years outside MinYear..MaxYear and empty parts are
// errors.
func ParseYears(s string) ([]int, error) {
	var years []int
	return appendYears(years, s)
}

// appendYears is ParseYears appending to dst (which it may reuse).
func appendYears(dst []int, s string) ([]int, error) {
	dst = dst[:0]
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no years")
	}
	sorted := true
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, errors.New("empty part")
		}
		lo, hi := part, part
		if i := strings.IndexByte(part, '-'); i >= 0 {
			lo, hi = strings.TrimSpace(part[:i]), strings.TrimSpace(part[i+1:])
		}
		from, err := parseYear(lo)
		if err != nil {
			return nil, err
		}
		to, err := parseYear(hi)
		if err != nil {
			return nil, err
		}
		if to < from {
			return nil, fmt.Errorf("reversed range %d-%d", from, to)
		}
		if len(dst) > 0 && from <= dst[len(dst)-1] {
			sorted = false
		}
		for y := from; y <= to; y++ {
			dst = append(dst, y)
		}
	}
	if !sorted {
		slices.Sort(dst)
		dst = slices.Compact(dst)
	}
	return dst, nil
}

func parseYear(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty year")
	}
	if len(s) > 4 {
		return 0, fmt.Errorf("%q is not a year", s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a year", s)
		}
		n = n*10 + int(c-'0')
	}
	if n < MinYear || n > MaxYear {
		return 0, fmt.Errorf("year %d out of range %d-%d", n, MinYear, MaxYear)
	}
	return n, nil
}
