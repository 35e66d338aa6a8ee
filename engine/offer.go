package engine

import "strconv"

// Offer is a tenant's commercial data for one part, packed into one word: the price in
// cents in the high 36 bits and the stock in the low 28, each stored plus one so that zero
// means "none" (no price; stock not tracked). The zero Offer carries nothing.
//
// The packing bounds what a feed may set: MaxPriceCents and MaxStock.
type Offer uint64

const (
	priceBits = 36
	stockBits = 28
	stockMask = 1<<stockBits - 1

	// MaxPriceCents is the largest price an Offer holds: 687,194,767.34 in any currency.
	MaxPriceCents = 1<<priceBits - 2
	// MaxStock is the largest stock an Offer holds.
	MaxStock = 1<<stockBits - 2
)

// Price returns the price in cents; ok is false when there is none.
func (o Offer) Price() (cents int64, ok bool) {
	p := int64(o >> stockBits)
	return p - 1, p != 0
}

// Stock returns the stock; ok is false when it is not tracked.
func (o Offer) Stock() (n int64, ok bool) {
	s := int64(o & stockMask)
	return s - 1, s != 0
}

// WithPrice returns o with its price set to cents (0 ≤ cents ≤ MaxPriceCents), or cleared
// when cents is negative.
func (o Offer) WithPrice(cents int64) Offer {
	o &= stockMask
	if cents >= 0 {
		o |= Offer(min(cents, MaxPriceCents)+1) << stockBits
	}
	return o
}

// WithStock returns o with its stock set to n (0 ≤ n ≤ MaxStock), or cleared when n is
// negative.
func (o Offer) WithStock(n int64) Offer {
	o &^= stockMask
	if n >= 0 {
		o |= Offer(min(n, MaxStock) + 1)
	}
	return o
}

// AppendPrice appends the price as a JSON number with two decimals ("12.50"), or null.
func (o Offer) AppendPrice(b []byte) []byte {
	c, ok := o.Price()
	if !ok {
		return append(b, "null"...)
	}
	b = strconv.AppendInt(b, c/100, 10)
	c %= 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// AppendStock appends the stock as a JSON number, or null.
func (o Offer) AppendStock(b []byte) []byte {
	n, ok := o.Stock()
	if !ok {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, n, 10)
}

// stockPtr gives the struct form used by PartSummary, PartDetail and Item.
func (o Offer) stockPtr() *int64 {
	n, ok := o.Stock()
	if !ok {
		return nil
	}
	return &n
}

// offers is one tenant's Offers indexed by part id (see table).
type offers = table[Offer]

func newOffers(nParts int, gen uint64) *offers { return newTable[Offer](nParts, gen) }

// clearStockExcept drops the stock of every offer whose part keep does not hold.
func clearStockExcept(w *tableWriter[Offer], keep func(p uint32) bool) (cleared int) {
	for i, pg := range w.next.pages {
		if pg == nil {
			continue
		}
		for j, v := range pg.slot {
			p := uint32(i<<pageBits | j)
			if _, ok := v.Stock(); ok && !keep(p) {
				w.set(p, v.WithStock(-1)) // v is from the range's copy of the page
				cleared++
			}
		}
	}
	return cleared
}
