package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
)

// A FormatError is a snapshot whose content breaks the format (FORMAT.md, "Sections" and
// "What Open checks"): the section, the row and the problem. It wraps ErrFormat.
type FormatError struct {
	Section string // a section name, e.g. "vehicles", "vehicle_parts.data"
	Row     int    // the row of a table, the entry of a postings list or of details; -1: the whole section
	Problem string
}

func (e *FormatError) Error() string {
	if e.Row < 0 {
		return e.Section + ": " + e.Problem
	}
	return e.Section + " row " + strconv.Itoa(e.Row) + ": " + e.Problem
}

func (e *FormatError) Unwrap() error { return ErrFormat }

func rowErr(section string, row int, format string, args ...any) *FormatError {
	return &FormatError{Section: section, Row: row, Problem: fmt.Sprintf(format, args...)}
}

// The model years a vehicle may have: ingest.MinYear and ingest.MaxYear. The engine keeps a
// bit per (year, model) for every tenant, over the span of the catalog's years.
const (
	minYear = 1900
	maxYear = 2100
)

// validate checks every invariant of the format that the engine relies on, so that a
// snapshot that decodes is also one the engine can load and query without an index out
// of range, a wrong range or a loop that does not end: references in range, the sort
// orders of FORMAT.md (which make a make's models, a model's vehicles and a model-year
// contiguous, with the wildcard first), natural keys unique, postings one per row with
// well-formed bitmaps whose members are in range, both fitment directions holding the same
// links, and the fitment details' CSR layout. The tables are checked in one pass each; the
// postings and details, the bulk of a catalog, on every core. Errors are *FormatError.
func (c *Catalog) validate() error {
	if err := c.validateTables(); err != nil {
		return err
	}
	return c.validateLinks()
}

// validateTables checks the tables other than parts (which validateLinks checks alongside
// the postings), and the shape of the postings and details: cheap, one pass each.
func (c *Catalog) validateTables() error {
	var prev, cur []byte
	next := func(s string) int { // compares Key(s) with the previous row's key
		prev, cur = cur, appendKey(prev[:0], s)
		return bytes.Compare(cur, prev)
	}

	for i := range c.Makes {
		if o := next(c.Makes[i].Name); i > 0 && o <= 0 {
			return orderErr("makes", i, o, "name", c.Makes[i].Name, c.Makes[i-1].Name)
		}
	}

	for i := range c.Models {
		m := &c.Models[i]
		if int64(m.Make) >= int64(len(c.Makes)) {
			return rowErr("models", i, "make %d out of range (%d makes)", m.Make, len(c.Makes))
		}
		if m.Type < Motorcycle || m.Type > Snowmobile {
			return rowErr("models", i, "type %d is not 1 to 4", m.Type)
		}
		o := next(m.Name)
		if i == 0 {
			if m.Make != 0 {
				return rowErr("makes", 0, "no models")
			}
			continue
		}
		switch p := &c.Models[i-1]; {
		case m.Make < p.Make:
			return rowErr("models", i, "not sorted: make %d after make %d (models are grouped by make)", m.Make, p.Make)
		case m.Make > p.Make+1:
			return rowErr("makes", int(p.Make)+1, "no models")
		case m.Make == p.Make && o <= 0:
			return orderErr("models", i, o, "name", m.Name, p.Name)
		}
	}
	if n := len(c.Models); n == 0 && len(c.Makes) > 0 {
		return rowErr("makes", 0, "no models")
	} else if n > 0 && int(c.Models[n-1].Make) < len(c.Makes)-1 {
		return rowErr("makes", int(c.Models[n-1].Make)+1, "no models")
	}

	for i := range c.Vehicles {
		v := &c.Vehicles[i]
		if int64(v.Model) >= int64(len(c.Models)) {
			return rowErr("vehicles", i, "model %d out of range (%d models)", v.Model, len(c.Models))
		}
		if v.Year < minYear || v.Year > maxYear {
			return rowErr("vehicles", i, "year %d outside %d to %d", v.Year, minYear, maxYear)
		}
		o := next(v.Submodel)
		if i == 0 {
			if v.Model != 0 {
				return rowErr("models", 0, "no vehicles")
			}
			if !v.Wildcard() {
				return rowErr("vehicles", i, "model %d year %d has no wildcard vehicle first (submodel %q)", v.Model, v.Year, v.Submodel)
			}
			continue
		}
		p := &c.Vehicles[i-1]
		switch {
		case v.Model < p.Model:
			return rowErr("vehicles", i, "not sorted: model %d after model %d (vehicles are grouped by model)", v.Model, p.Model)
		case v.Model > p.Model+1:
			return rowErr("models", int(p.Model)+1, "no vehicles")
		case v.Model == p.Model && v.Year < p.Year:
			return rowErr("vehicles", i, "not sorted: year %d after year %d of model %d", v.Year, p.Year, v.Model)
		case v.Model != p.Model || v.Year != p.Year: // a model-year starts with its wildcard
			if !v.Wildcard() {
				return rowErr("vehicles", i, "model %d year %d has no wildcard vehicle first (submodel %q)", v.Model, v.Year, v.Submodel)
			}
		case o == 0:
			return rowErr("vehicles", i, "duplicate of row %d: model %d year %d submodel %q", i-1, v.Model, v.Year, v.Submodel)
		case o < 0:
			return orderErr("vehicles", i, o, "submodel", v.Submodel, p.Submodel)
		}
	}
	if n := len(c.Vehicles); n == 0 && len(c.Models) > 0 {
		return rowErr("models", 0, "no vehicles")
	} else if n > 0 && int(c.Vehicles[n-1].Model) < len(c.Models)-1 {
		return rowErr("models", int(c.Vehicles[n-1].Model)+1, "no vehicles")
	}

	for i, b := range c.Brands {
		if o := next(b); i > 0 && o <= 0 {
			return orderErr("brands", i, o, "name", b, c.Brands[i-1])
		}
	}

	for i := range c.Categories {
		k := &c.Categories[i]
		want := uint8(1)
		switch {
		case k.Parent == None:
		case int64(k.Parent) >= int64(len(c.Categories)):
			return rowErr("categories", i, "parent %d out of range (%d categories)", k.Parent, len(c.Categories))
		case int(k.Parent) >= i:
			return rowErr("categories", i, "parent %d does not come before its child", k.Parent)
		default:
			want = c.Categories[k.Parent].Level + 1
		}
		if want > 3 {
			return rowErr("categories", i, "parent %d has level 3, the lowest", k.Parent)
		}
		if k.Level != want {
			return rowErr("categories", i, "level %d, want %d (one below its parent's, 1 at the top)", k.Level, want)
		}
		if o := next(k.Path); i > 0 && o <= 0 {
			return orderErr("categories", i, o, "path", k.Path, c.Categories[i-1].Path)
		}
	}

	for _, t := range []struct {
		name string
		list []string
	}{{"positions", c.Positions}, {"notes", c.Notes}} {
		if len(t.list) == 0 {
			return rowErr(t.name, -1, `no rows; row 0 must be ""`)
		}
		if t.list[0] != "" {
			return rowErr(t.name, 0, `%q, want ""`, t.list[0])
		}
	}

	for _, t := range []struct {
		name string
		p    *Postings
		n    int
		per  string
	}{{"vehicle_parts", c.VehicleParts, len(c.Vehicles), "vehicle"}, {"part_vehicles", c.PartVehicles, len(c.Parts), "part"}, {"brand_vehicles", c.BrandVehicles, len(c.Brands), "brand"}} {
		if t.p == nil || t.p.Len() != t.n {
			n := 0
			if t.p != nil {
				n = t.p.Len()
			}
			return rowErr(t.name+".off", -1, "%d entries, want %d (one per %s)", n, t.n, t.per)
		}
		// Entries are zero-padded to 8 bytes: roaring reads them in place as []uint64.
		for i := 0; i < t.n; i++ {
			if t.p.off[i]%8 != 0 {
				return rowErr(t.name+".off", i, "entry at byte %d is not 8-byte aligned", t.p.off[i])
			}
		}
	}

	off := c.Details.Offsets
	if len(off) != len(c.Vehicles)+1 {
		return rowErr("details.off", -1, "%d offsets, want %d (vehicles + 1)", len(off), len(c.Vehicles)+1)
	}
	if off[0] != 0 {
		return rowErr("details.off", 0, "offset %d, want 0", off[0])
	}
	for i := 1; i < len(off); i++ {
		if off[i] < off[i-1] {
			return rowErr("details.off", i, "offset %d is before the previous one, %d", off[i], off[i-1])
		}
	}
	if last := off[len(off)-1]; int64(last) != int64(len(c.Details.Entries)) {
		return rowErr("details.off", len(off)-1, "the last offset is %d, want %d (the number of entries)", last, len(c.Details.Entries))
	}
	return nil
}

// orderErr reports a row whose key (o: compared with the previous row's) does not sort
// after the previous one.
func orderErr(section string, row, o int, field, cur, prev string) *FormatError {
	if o == 0 {
		return rowErr(section, row, "duplicate %s %q (row %d is %q)", field, cur, row-1, prev)
	}
	return rowErr(section, row, "not sorted: %s %q after %q", field, cur, prev)
}

// appendKey appends Key(s) to dst, without allocating when s is ASCII.
func appendKey(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(dst, Key(s)...)
		}
	}
	for len(s) > 0 && asciiSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && asciiSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// validateLinks checks the parts table, every postings entry and every fitment detail on
// every core (validateTables has checked their shape), then that both fitment directions
// hold the same links. The first error in section order is reported.
func (c *Catalog) validateLinks() error {
	type job struct {
		run       func(*job) error
		err       error
		links     uint64 // members seen (postings jobs)
		linkHash  uint64 // Σ linkHash of the (vehicle, part) pairs seen
		direction int    // 0: vehicle → parts, 1: part → vehicles, 2: brand → vehicles
	}
	jobs := []*job{{direction: -1, run: func(*job) error { return c.validateParts() }}}

	const span = 1 << 20 // bytes of postings, or details entries, per job
	for dir, t := range []struct {
		name  string
		p     *Postings
		limit int
		what  string
	}{{"vehicle_parts", c.VehicleParts, len(c.Parts), "part"}, {"part_vehicles", c.PartVehicles, len(c.Vehicles), "vehicle"}, {"brand_vehicles", c.BrandVehicles, len(c.Vehicles), "vehicle"}} {
		for lo := 0; lo < t.p.Len(); {
			hi := lo + 1
			for hi < t.p.Len() && t.p.off[hi+1]-t.p.off[lo] < span {
				hi++
			}
			first, end := lo, hi
			jobs = append(jobs, &job{direction: dir, run: func(j *job) error {
				for i := first; i < end; i++ {
					if t.p.Empty(i) {
						continue
					}
					// Pairs hash as vehicle<<32 | part in both directions; brand_vehicles
					// is compared with nothing.
					base, shift := uint64(i)<<32, uint(0)
					if dir != 0 {
						base, shift = uint64(i), 32
					}
					st, err := checkBitmap(t.p.data[t.p.off[i]:t.p.off[i+1]], dir < 2, base, shift)
					if err == nil && int64(st.max) >= int64(t.limit) {
						err = fmt.Errorf("%s %d out of range (%d %ss)", t.what, st.max, t.limit, t.what)
					}
					if err != nil {
						return rowErr(t.name+".data", i, "%v", err)
					}
					j.links += st.card
					j.linkHash += st.sum
				}
				return nil
			}})
			lo = hi
		}
	}

	off := c.Details.Offsets
	for lo := 0; lo < len(c.Vehicles); {
		hi := lo + 1
		for hi < len(c.Vehicles) && off[hi+1]-off[lo] < span/12 {
			hi++
		}
		first, end := lo, hi
		jobs = append(jobs, &job{direction: -1, run: func(*job) error { return c.validateDetails(first, end) }})
		lo = hi
	}

	parallel(len(jobs), func(i int) { jobs[i].err = jobs[i].run(jobs[i]) })
	var links, hashes [3]uint64
	for _, j := range jobs {
		if j.err != nil {
			return j.err
		}
		if j.direction >= 0 {
			links[j.direction] += j.links
			hashes[j.direction] += j.linkHash
		}
	}
	switch {
	case links[0] != links[1]:
		return rowErr("part_vehicles.data", -1, "%d links, but vehicle_parts.data has %d (both directions hold the same links)", links[1], links[0])
	case hashes[0] != hashes[1]:
		return rowErr("part_vehicles.data", -1, "not the inverse of vehicle_parts.data (both have %d links, not the same ones)", links[0])
	}
	return nil
}

// validateParts checks the parts table: references, order and unique numbers, and the
// order of each part's translations.
func (c *Catalog) validateParts() error {
	var prev, cur []byte
	for i := range c.Parts {
		p := &c.Parts[i]
		if int64(p.Brand) >= int64(len(c.Brands)) {
			return rowErr("parts", i, "brand %d out of range (%d brands)", p.Brand, len(c.Brands))
		}
		if p.Category != None && int64(p.Category) >= int64(len(c.Categories)) {
			return rowErr("parts", i, "category %d out of range (%d categories)", p.Category, len(c.Categories))
		}
		prev, cur = cur, appendKey(prev[:0], p.Number)
		if o := bytes.Compare(cur, prev); i > 0 && o <= 0 {
			return orderErr("parts", i, o, "number", p.Number, c.Parts[i-1].Number)
		}
		for k := 1; k < len(p.Names); k++ {
			if p.Names[k].Lang <= p.Names[k-1].Lang {
				return rowErr("parts", i, "translations not in ascending language order: %q after %q", p.Names[k].Lang, p.Names[k-1].Lang)
			}
		}
	}
	return nil
}

// validateDetails checks the fitment details of vehicles [lo, hi): references in range
// and each vehicle's entries sorted by part.
func (c *Catalog) validateDetails(lo, hi int) error {
	off, es := c.Details.Offsets, c.Details.Entries
	for v := lo; v < hi; v++ {
		for i := off[v]; i < off[v+1]; i++ {
			e := &es[i]
			switch {
			case int64(e.Part) >= int64(len(c.Parts)):
				return rowErr("details.entries", int(i), "part %d out of range (%d parts)", e.Part, len(c.Parts))
			case int(e.Position) >= len(c.Positions):
				return rowErr("details.entries", int(i), "position %d out of range (%d positions)", e.Position, len(c.Positions))
			case int64(e.Note) >= int64(len(c.Notes)):
				return rowErr("details.entries", int(i), "note %d out of range (%d notes)", e.Note, len(c.Notes))
			case i > off[v] && e.Part < es[i-1].Part:
				return rowErr("details.entries", int(i), "not sorted: part %d after part %d within vehicle %d", e.Part, es[i-1].Part, v)
			}
		}
	}
	return nil
}

// bitmapStats is what checkBitmap learns about a bitmap.
type bitmapStats struct {
	card uint64 // members
	max  uint32 // the largest member
	sum  uint64 // Σ linkHash(base | member<<shift), when asked for
}

// linkHash mixes a (vehicle, part) pair so that the sum over a set of pairs is a
// fingerprint of the set: a multiply and a fold of the high bits into the low ones, cheap
// on 100 million links, and not linear, so that the sum does not reduce to sums of vehicles
// and parts. It guards against corruption, not against a file crafted to collide.
func linkHash(x uint64) uint64 {
	x *= 0x9e3779b97f4a7c15
	return x ^ x>>29
}

// checkBitmap checks that b is one non-empty bitmap in roaring's portable serialisation
// (https://github.com/RoaringBitmap/RoaringFormatSpec), as roaring's FromBuffer reads it
// and serialContains finds containers: container keys ascending; container offsets, when
// present, where the containers are; array containers of at most 4096 ascending values,
// bitmap containers of more whose bit count is their cardinality, run containers of
// ascending runs, disjoint and apart, within the container, holding their cardinality;
// then nothing but zero padding to a multiple of 8 bytes. roaring itself checks less:
// FromBuffer takes cardinalities and orders on trust (a bitmap container that claims 4097
// of its 6000 members counts 4097, and binary searches miss in an unsorted array), and
// Bitmap.Validate materialises the bitmap and takes time quadratic in a container's runs.
// It reads b in place, in one pass; with hash, it also sums linkHash over the members.
func checkBitmap(b []byte, hash bool, base uint64, shift uint) (st bitmapStats, err error) {
	if len(b) < 8 || len(b)%8 != 0 {
		return st, fmt.Errorf("bitmap of %d bytes, want a multiple of 8 and at least 8", len(b))
	}
	h, err := parseSerialHeader(b)
	if err != nil {
		return st, err
	}
	n, runFlags, hasOffsets := h.n, h.runFlags, h.hasOffsets
	if n == 0 {
		return st, fmt.Errorf("bitmap of %d containers (an empty set has no bytes)", n)
	}
	keys := h.body - 4*n
	pos := h.body
	offsets := pos
	if hasOffsets {
		pos += 4 * n
	}
	var last uint32
	for c := 0; c < n; c++ {
		key := binary.LittleEndian.Uint16(b[keys+4*c:])
		card := int(binary.LittleEndian.Uint16(b[keys+4*c+2:])) + 1
		if c > 0 && key <= binary.LittleEndian.Uint16(b[keys+4*c-4:]) {
			return st, fmt.Errorf("container %d: key %d not above the previous one", c, key)
		}
		if hasOffsets {
			if o := binary.LittleEndian.Uint32(b[offsets+4*c:]); int64(o) != int64(pos) {
				return st, fmt.Errorf("container %d: offset %d, but it starts at %d", c, o, pos)
			}
		}
		hi := uint64(key) << 16
		switch {
		case runFlags != nil && runFlags[c/8]&(1<<(c%8)) != 0:
			if len(b) < pos+2 {
				return st, fmt.Errorf("container %d truncated", c)
			}
			runs := int(binary.LittleEndian.Uint16(b[pos:]))
			pos += 2
			if runs == 0 || len(b) < pos+4*runs {
				return st, fmt.Errorf("container %d: %d runs in %d bytes", c, runs, len(b)-pos)
			}
			total, end := 0, -2
			for r := 0; r < runs; r++ {
				start := int(binary.LittleEndian.Uint16(b[pos+4*r:]))
				length := int(binary.LittleEndian.Uint16(b[pos+4*r+2:]))
				if start <= end+1 || start+length > 0xffff {
					return st, fmt.Errorf("container %d: run %d [%d, %d] overlaps, touches or precedes the previous run, or leaves the container", c, r, start, start+length)
				}
				for x := start; hash && x <= start+length; x++ {
					st.sum += linkHash(base | (hi|uint64(x))<<shift)
				}
				end = start + length
				total += length + 1
			}
			if total != card {
				return st, fmt.Errorf("container %d: cardinality %d, but its runs hold %d", c, card, total)
			}
			pos += 4 * runs
			last = uint32(hi) | uint32(end)
		case card > arrayMax:
			if len(b) < pos+8192 {
				return st, fmt.Errorf("container %d truncated", c)
			}
			words := b[pos : pos+8192]
			count, top := 0, -1
			for w := 0; w < 1024; w++ {
				x := binary.LittleEndian.Uint64(words[8*w:])
				if x == 0 {
					continue
				}
				count += bits.OnesCount64(x)
				top = 64*w + 63 - bits.LeadingZeros64(x)
				for ; hash && x != 0; x &= x - 1 {
					st.sum += linkHash(base | (hi|uint64(64*w+bits.TrailingZeros64(x)))<<shift)
				}
			}
			if count != card {
				return st, fmt.Errorf("container %d: cardinality %d, but %d bits are set", c, card, count)
			}
			pos += 8192
			last = uint32(hi) | uint32(top)
		default:
			if len(b) < pos+2*card {
				return st, fmt.Errorf("container %d truncated", c)
			}
			prev, sum := -1, st.sum
			for vals := b[pos : pos+2*card]; len(vals) >= 2; vals = vals[2:] {
				x := int(vals[0]) | int(vals[1])<<8
				if x <= prev {
					return st, fmt.Errorf("container %d: value %d not above the previous one, %d", c, x, prev)
				}
				prev = x
				if hash {
					sum += linkHash(base | (hi|uint64(x))<<shift)
				}
			}
			st.sum = sum
			pos += 2 * card
			last = uint32(hi) | uint32(prev)
		}
		st.card += uint64(card)
	}
	if len(b)-pos >= 8 {
		return st, fmt.Errorf("%d bytes after the bitmap's end", len(b)-pos)
	}
	for _, x := range b[pos:] {
		if x != 0 {
			return st, fmt.Errorf("padding after the bitmap is not zero")
		}
	}
	st.max = last
	return st, nil
}
