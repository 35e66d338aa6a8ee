package engine

import (
	"slices"
	"sort"
)

// stockList is the stock of one location: the parts it records a stock for, as sorted part
// ids with stock+1 beside them (never 0). A store stocks thousands of parts out of a
// million, so a sorted list costs 8 bytes a part where a paged table (table.go) would spend
// a 1 KB page on a few neighbours; reading one part is a binary search.
//
// A list is immutable once published. A change builds the next list by one merge of the
// sorted updates into the old one, O(len + updates·log updates); lists are small enough for
// a one-row change to copy one.
//
// The nil *stockList is the empty list.
type stockList struct {
	ids  []uint32
	vals []uint32
}

// get returns the stock+1 of part p, 0 for none.
func (l *stockList) get(p uint32) uint32 {
	if l == nil {
		return 0
	}
	lo, hi := 0, len(l.ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.ids[m] < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(l.ids) && l.ids[lo] == p {
		return l.vals[lo]
	}
	return 0
}

func (l *stockList) len() int {
	if l == nil {
		return 0
	}
	return len(l.ids)
}

// each calls fn for every part with a stock, in id order.
func (l *stockList) each(fn func(p, v uint32)) {
	l.eachFrom(0, func(p, v uint32) bool { fn(p, v); return true })
}

// eachFrom calls fn for every part from id start on, in id order, until fn returns false.
func (l *stockList) eachFrom(start uint32, fn func(p, v uint32) bool) {
	if l == nil {
		return
	}
	for i := sort.Search(len(l.ids), func(i int) bool { return l.ids[i] >= start }); i < len(l.ids); i++ {
		if !fn(l.ids[i], l.vals[i]) {
			return
		}
	}
}

// stockWriter collects changes to a list; done merges them into the next list.
type stockWriter struct {
	base *stockList
	ups  []stockUpdate
}

type stockUpdate struct {
	p, v uint32 // v = stock+1; 0 removes
	seq  int    // order of the update: the last of a part wins
}

func (l *stockList) writer() *stockWriter { return &stockWriter{base: l} }

// set records stock+1 = v for part p (0: none); a later set of p wins.
func (w *stockWriter) set(p, v uint32) {
	w.ups = append(w.ups, stockUpdate{p: p, v: v, seq: len(w.ups)})
}

// done returns the list with the changes applied; nil when it holds nothing.
func (w *stockWriter) done() *stockList {
	if len(w.ups) == 0 {
		return w.base
	}
	slices.SortFunc(w.ups, func(a, b stockUpdate) int {
		if a.p != b.p {
			return int(int64(a.p) - int64(b.p))
		}
		return a.seq - b.seq
	})
	old := w.base
	if old == nil {
		old = &stockList{}
	}
	n := len(old.ids) + len(w.ups)
	out := &stockList{ids: make([]uint32, 0, n), vals: make([]uint32, 0, n)}
	i := 0
	for k := 0; k < len(w.ups); k++ {
		u := w.ups[k]
		if k+1 < len(w.ups) && w.ups[k+1].p == u.p {
			continue // a later update of the same part wins
		}
		for i < len(old.ids) && old.ids[i] < u.p {
			out.ids, out.vals = append(out.ids, old.ids[i]), append(out.vals, old.vals[i])
			i++
		}
		if i < len(old.ids) && old.ids[i] == u.p {
			i++ // replaced
		}
		if u.v != 0 {
			out.ids, out.vals = append(out.ids, u.p), append(out.vals, u.v)
		}
	}
	out.ids, out.vals = append(out.ids, old.ids[i:]...), append(out.vals, old.vals[i:]...)
	if len(out.ids) == 0 {
		return nil
	}
	// Trim the slack of a shrunk or sparse merge: published lists live long.
	if cap(out.ids)-len(out.ids) > len(out.ids)/8 {
		out.ids, out.vals = slices.Clip(slices.Clone(out.ids)), slices.Clip(slices.Clone(out.vals))
	}
	return out
}
