package ingest

import "math/bits"

// chunks is an append-only list stored in fixed-size chunks: growing it never copies,
// unlike append on one slice (at 50 million links, growslice alone cost seconds and a
// transient second copy of the list).
type chunks[T any] struct {
	list [][]T
	n    int
}

const chunkLen = 1 << 20

func (c *chunks[T]) add(x T) {
	if c.n%chunkLen == 0 {
		c.list = append(c.list, make([]T, 0, chunkLen))
	}
	last := &c.list[len(c.list)-1]
	*last = append(*last, x)
	c.n++
}

func (c *chunks[T]) each(f func(*T)) {
	for _, ch := range c.list {
		for i := range ch {
			f(&ch[i])
		}
	}
}

func bitLen(n int) int { return bits.Len(uint(n)) }

// radixSort sorts the values of c by key (whose value must fit in keyBits bits) with a
// stable LSD radix sort, consuming c: the chunks are released after the first pass.
// spare, when at least as long, serves as scratch. It returns the sorted values and a
// spare buffer of the same length (nil when none was needed) for the caller to reuse.
func radixSort[T any](c *chunks[T], keyBits int, key func(*T) uint64, spare []T) (sorted, rest []T) {
	const digitBits = 11
	const buckets = 1 << digitBits
	passes := max((keyBits+digitBits-1)/digitBits, 1)
	counts := make([][buckets]int, passes)
	c.each(func(x *T) {
		k := key(x)
		for d := range counts {
			counts[d][(k>>(d*digitBits))&(buckets-1)]++
		}
	})
	n := c.n
	src := c.list // the first pass reads the chunks
	var a, b []T
	for d := range counts {
		shift := d * digitBits
		cnt := &counts[d]
		if n == 0 || cnt[firstKey(src, a, key)>>shift&(buckets-1)] == n {
			continue // every value has this digit: the pass would not move anything
		}
		sum := 0
		for i := range cnt {
			cnt[i], sum = sum, sum+cnt[i]
		}
		if b == nil {
			if len(spare) >= n {
				b, spare = spare[:n], nil
			} else {
				b = make([]T, n)
			}
		}
		scatter := func(x *T) {
			i := (key(x) >> shift) & (buckets - 1)
			b[cnt[i]] = *x
			cnt[i]++
		}
		if src != nil {
			for _, ch := range src {
				for i := range ch {
					scatter(&ch[i])
				}
			}
			if len(src) == 1 && len(src[0]) == n {
				a = src[0] // a flat input is free now: the next pass's scratch
			}
			src, c.list = nil, nil
		} else {
			for i := range a {
				scatter(&a[i])
			}
		}
		a, b = b, a
	}
	if src != nil { // no pass moved anything: the chunks are already in order
		a = make([]T, 0, n)
		for _, ch := range src {
			a = append(a, ch...)
		}
		c.list = nil
	}
	return a, b
}

// flat wraps a slice as chunks, for radixSort.
func flat[T any](s []T) *chunks[T] { return &chunks[T]{list: [][]T{s}, n: len(s)} }

func firstKey[T any](src [][]T, a []T, key func(*T) uint64) uint64 {
	if src != nil {
		return key(&src[0][0])
	}
	return key(&a[0])
}
