package engine

// table is a copy-on-write paged array of V indexed by a part id: a directory of pages of
// pageSize slots, a page allocated only where some slot is set (is not V's zero value). A
// brand's parts are (nearly) contiguous in id order, so the pages of a tenant that prices or
// stocks whole brands are dense. It holds a tenant's offers, and the stock of each of its
// locations.
//
// A table is immutable once published: a change copies the directory and the pages it
// touches (O(rows + touched pages)), so readers never lock.
type table[V comparable] struct {
	gen   uint64 // unique per published table: keys cached answers that show it
	pages []*page[V]
	n     int // slots set
}

const (
	pageBits = 8
	pageSize = 1 << pageBits
)

type page[V comparable] struct {
	slot [pageSize]V
	n    int // slots set
}

func newTable[V comparable](size int, gen uint64) *table[V] {
	return &table[V]{gen: gen, pages: make([]*page[V], (size+pageSize-1)/pageSize)}
}

// get returns slot i (the zero V when unset).
func (t *table[V]) get(i uint32) V {
	if n := int(i >> pageBits); n < len(t.pages) {
		if pg := t.pages[n]; pg != nil {
			return pg.slot[i&(pageSize-1)]
		}
	}
	var zero V
	return zero
}

// each calls fn for every set slot, in index order.
func (t *table[V]) each(fn func(i uint32, v V)) {
	t.eachFrom(0, func(i uint32, v V) bool { fn(i, v); return true })
}

// eachFrom calls fn for every set slot from index start on, in index order, until fn
// returns false.
func (t *table[V]) eachFrom(start uint32, fn func(i uint32, v V) bool) {
	var zero V
	for n := int(start >> pageBits); n < len(t.pages); n++ {
		pg := t.pages[n]
		if pg == nil {
			continue
		}
		j := 0
		if n == int(start>>pageBits) {
			j = int(start & (pageSize - 1))
		}
		for ; j < pageSize; j++ {
			if v := pg.slot[j]; v != zero && !fn(uint32(n<<pageBits|j), v) {
				return
			}
		}
	}
}

// tableWriter builds the next table, copying a page the first time it is written.
type tableWriter[V comparable] struct {
	next   *table[V]
	copied []bool
}

func (t *table[V]) writer(gen uint64) *tableWriter[V] {
	next := &table[V]{gen: gen, pages: append([]*page[V](nil), t.pages...), n: t.n}
	return &tableWriter[V]{next: next, copied: make([]bool, len(t.pages))}
}

func (w *tableWriter[V]) get(i uint32) V { return w.next.get(i) }

// set sets slot i, growing the table when i is past its end (a tenant's own parts have ids
// after the catalog's).
func (w *tableWriter[V]) set(i uint32, v V) {
	var zero V
	n := int(i >> pageBits)
	if n >= len(w.next.pages) {
		if v == zero {
			return
		}
		w.next.pages = append(w.next.pages, make([]*page[V], n+1-len(w.next.pages))...)
		w.copied = append(w.copied, make([]bool, n+1-len(w.copied))...)
	}
	pg := w.next.pages[n]
	if !w.copied[n] {
		if v == zero && pg == nil {
			return
		}
		fresh := &page[V]{}
		if pg != nil {
			*fresh = *pg
		}
		pg = fresh
		w.next.pages[n] = pg
		w.copied[n] = true
	}
	slot := &pg.slot[i&(pageSize-1)]
	switch {
	case *slot == zero && v != zero:
		pg.n++
		w.next.n++
	case *slot != zero && v == zero:
		pg.n--
		w.next.n--
	}
	*slot = v
}

// done returns the new table, freeing pages that emptied.
func (w *tableWriter[V]) done() *table[V] {
	for n, c := range w.copied {
		if c && w.next.pages[n].n == 0 {
			w.next.pages[n] = nil
		}
	}
	return w.next
}
