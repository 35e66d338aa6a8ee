package engine

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
	"sort"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/fitment/fitment/snapshot"
)

// A listing cursor is the sort values of the last part of a page — its price (or none),
// its rank or its name, and its part number — so the next page is "every part that sorts
// after these values", computed afresh in the tenant's state of the moment. It names no
// ids, so it means the same after a price change, an own part added or deleted, or a
// catalog rebuild (where a part's name may have moved: the page then continues from
// where the remembered name sorts now).
//
// Encoding (then base64url without padding):
//
//	version (1 byte, 1) | sort (1 byte) | primary | uvarint len | part number | check (4 bytes)
//
// primary is uvarint(cents+1) (0: no price) for the price sorts, uvarint(rank) for
// relevance, uvarint len + the name for name. check is the low 32 bits of xxHash64 over
// the query's fingerprint and the bytes before it: a cursor altered, or handed to a query
// with other filters, sort, language or vehicle, is refused. It is a check, not a secret:
// a forged cursor only places a page inside the caller's own results.

const cursorVersion = 1

// maxCursorBytes bounds what is decoded: a name and a part number, with room to spare.
const maxCursorBytes = 4096

const (
	errBadCursor     = "is not a cursor this API gave out"
	errForeignCursor = "belongs to another query (other filters, sort, language or vehicle), or was altered"
)

type cursor struct {
	sort   ListSort
	price  int64 // cents; -1: none
	rank   uint32
	name   string
	number string
}

// fingerprint names what a cursor is valid for: everything that decides the listing's
// set and order, not the page size or the facets.
func fingerprint(q *ListQuery, s ListSort) uint64 {
	var d xxhash.Digest
	d.Reset()
	sep := []byte{0}
	write := func(s string) {
		d.WriteString(s)
		d.Write(sep)
	}
	write(s.String())
	write(strings.TrimSpace(q.VehicleID))
	// Filters are sets: their order and repeats do not matter.
	set := func(values []string, norm func(string) string) {
		if len(values) > 0 {
			vs := make([]string, len(values))
			for i, v := range values {
				vs[i] = norm(v)
			}
			slices.Sort(vs)
			for _, v := range slices.Compact(vs) {
				write(v)
			}
		}
		write("\x01")
	}
	set(q.Categories, strings.TrimSpace)
	set(q.Brands, snapshot.Key)
	flags := []byte{0, 0}
	if q.InStock {
		flags[0] = 1
	}
	if q.IncludeUniversal {
		flags[1] = 1
	}
	d.Write(flags)
	write(q.Lang)
	write(q.Scope)
	return d.Sum64()
}

func (c *cursor) encode(fp uint64) string {
	b := make([]byte, 0, 32+len(c.name)+len(c.number))
	b = append(b, cursorVersion, byte(c.sort))
	switch c.sort {
	case SortPrice, SortPriceDesc:
		b = binary.AppendUvarint(b, uint64(c.price+1))
	case SortRelevance:
		b = binary.AppendUvarint(b, uint64(c.rank))
	case SortName:
		b = binary.AppendUvarint(b, uint64(len(c.name)))
		b = append(b, c.name...)
	}
	b = binary.AppendUvarint(b, uint64(len(c.number)))
	b = append(b, c.number...)
	b = binary.LittleEndian.AppendUint32(b, check(fp, b))
	return base64.RawURLEncoding.EncodeToString(b)
}

func check(fp uint64, b []byte) uint32 {
	var d xxhash.Digest
	d.Reset()
	var fpb [8]byte
	binary.LittleEndian.PutUint64(fpb[:], fp)
	d.Write(fpb[:])
	d.Write(b)
	return uint32(d.Sum64())
}

// decodeCursor reads a cursor given out for a query of fingerprint fp.
func decodeCursor(s string, fp uint64) (cursor, error) {
	bad := &QueryError{"cursor", errBadCursor}
	if len(s) > maxCursorBytes*4/3+4 {
		return cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2+1+4 || b[0] != cursorVersion {
		return cursor{}, bad
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	c := cursor{sort: ListSort(b[1]), price: -1}
	rest := body[2:]
	str := func() (string, bool) {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return "", false
		}
		s := string(rest[w : w+int(n)])
		rest = rest[w+int(n):]
		return s, true
	}
	ok := true
	switch c.sort {
	case SortPrice, SortPriceDesc:
		n, w := binary.Uvarint(rest)
		ok = w > 0 && n <= MaxPriceCents+1
		if ok {
			c.price, rest = int64(n)-1, rest[w:]
		}
	case SortRelevance:
		n, w := binary.Uvarint(rest)
		ok = w > 0 && n <= 1<<32-1
		if ok {
			c.rank, rest = uint32(n), rest[w:]
		}
	case SortName:
		c.name, ok = str()
	default:
		ok = false
	}
	if ok {
		c.number, ok = str()
	}
	if !ok || len(rest) != 0 {
		return cursor{}, bad
	}
	if check(fp, body) != sum {
		return cursor{}, &QueryError{"cursor", errForeignCursor}
	}
	return c, nil
}

// cursorAfter is the cursor of the page that follows item it.
func (l *lister) cursorAfter(it listItem, q *ListQuery) string {
	c := cursor{sort: l.sort, price: -1, number: l.v.partNumber(it.p)}
	switch l.sort {
	case SortPrice:
		if it.key != noPrice {
			c.price = int64(it.key)
		}
	case SortPriceDesc:
		if it.key != noPrice {
			c.price = MaxPriceCents - int64(it.key)
		}
	case SortRelevance:
		c.rank = ^uint32(it.key)
	case SortName:
		c.name = l.v.displayName(it.p, q.Lang)
	}
	return c.encode(fingerprint(q, l.sort))
}

// place sets the lister's cursor: the sort key of the cursor's values in this view.
func (l *lister) place(c cursor, lang string) {
	l.after = true
	switch c.sort {
	case SortPrice, SortPriceDesc:
		o := Offer(0)
		if c.price >= 0 {
			o = o.WithPrice(c.price)
		}
		l.cKey = priceKey(o, c.sort == SortPriceDesc)
	case SortRelevance:
		l.cKey = relevanceKey(c.rank)
	case SortName:
		key, exact := l.v.namePlace(l.names, lang, c.name, c.number)
		l.cKey = key
		if exact { // only the cursor's own part has this key
			l.cTie, l.cInclusive = ^uint64(0), false
		} else { // a place between parts: the one at it comes after
			l.cTie, l.cInclusive = 0, true
		}
		return
	}
	tie, exact := l.v.numberPlace(c.number)
	l.cTie, l.cInclusive = tie, !exact
}

// numberPlace is where a part number sorts among the view's parts (catalog and own, in
// part-number order), as a tiebreak key: the part's own key when the view has it (exact),
// else the key of the place just before the first part that sorts after it.
func (v *View) numberPlace(number string) (tie uint64, exact bool) {
	k, x := v.cat, v.ext
	key := snapshot.Key(number)
	i := k.firstPartFrom(key)
	if int(i) < len(k.Parts) && snapshot.Key(k.Parts[i].Number) == key {
		return catalogKey(i), true
	}
	j := sort.Search(len(x.sorted), func(j int) bool { return x.parts[x.sorted[j]].key >= key })
	exact = j < len(x.sorted) && x.parts[x.sorted[j]].key == key
	return uint64(i)<<ownBits | uint64(j), exact
}
