package engine

import (
	"cmp"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/fitment/fitment/snapshot"
)

// Fitment links as lines, for distributors' bulk lookups and fitment exports: one line per
// fitment of a (part, vehicle) link, in NDJSON or CSV, written as they are found into a
// buffer of linkFlushAt bytes that goes to the writer whenever it fills — memory stays
// bounded whatever the size of the answer, and a writer that fails (a client gone away)
// stops the work at the next flush.
//
// Lines are assembled from pre-encoded pieces: each catalog vehicle's columns are encoded
// once per catalog and format (vehicleFrags), a part's once per input, so a link costs a
// detail lookup and a few copies.

// LinkFormat is the encoding of link lines.
type LinkFormat uint8

const (
	LinksNDJSON LinkFormat = iota // one JSON object a line
	LinksCSV                      // a header row, then one record a line
)

// Line statuses, for inputs that have no link lines.
const (
	StatusNotFound    = "not_found"   // the input names no part (vehicle) the tenant sees
	StatusNoFitments  = "no_fitments" // known, but not fitted to any vehicle (no visible part fits it)
	StatusUniversal   = "universal"   // a universal part: it fits anything, no links are listed
	linkFlushAt       = 64 << 10
	csvLookupHeader   = "input,partNumber,brand,vehicleId,make,model,submodel,year,type,position,qty,notes,status\n"
	csvExportHeader   = "partNumber,brand,vehicleId,make,model,submodel,year,type,position,qty,notes\n"
	vehicleFragsBatch = 4096
)

// LinkWriter writes the fitment links of a tenant's view. Lookup writers (NewLinkWriter
// with lookup true) start each line with the input it answers and report inputs without
// links in a status field; export writers list links only. A LinkWriter is not safe for
// concurrent use.
type LinkWriter struct {
	v      *View
	w      io.Writer
	format LinkFormat
	lookup bool
	vf     *vehicleFrags
	buf    []byte
	head   []byte // the current input's and part's leading columns
	links  int64
	err    error
}

// NewLinkWriter returns a writer of v's links to w; for CSV it writes the header row first.
func (v *View) NewLinkWriter(w io.Writer, format LinkFormat, lookup bool) *LinkWriter {
	lw := &LinkWriter{v: v, w: w, format: format, lookup: lookup, vf: v.cat.vehicleFrags(format), buf: make([]byte, 0, linkFlushAt+4096)}
	if format == LinksCSV {
		if lookup {
			lw.buf = append(lw.buf, csvLookupHeader...)
		} else {
			lw.buf = append(lw.buf, csvExportHeader...)
		}
	}
	return lw
}

// Links is the number of link lines written so far (status lines not counted).
func (lw *LinkWriter) Links() int64 { return lw.links }

// Flush writes what is buffered; it returns the first error the writer gave.
func (lw *LinkWriter) Flush() error {
	if lw.err == nil && len(lw.buf) > 0 {
		_, lw.err = lw.w.Write(lw.buf)
	}
	lw.buf = lw.buf[:0]
	return lw.err
}

func (lw *LinkWriter) maybeFlush() error {
	if len(lw.buf) >= linkFlushAt {
		return lw.Flush()
	}
	return lw.err
}

// Part writes every link of the part ref names (a number or an SKU alias, as the product
// detail resolves it), or one status line. It returns the writer's error, if any.
func (lw *LinkWriter) Part(ref string) error {
	p, ok := lw.v.LookupPart(ref)
	if !ok {
		lw.statusLine(ref, nil, nil, StatusNotFound)
		return lw.maybeFlush()
	}
	return lw.part(ref, p.id)
}

func (lw *LinkWriter) part(input string, p uint32) error {
	k := lw.v.cat
	lw.startPart(input, p)
	n := lw.links
	if int(p) < len(k.Parts) {
		if !k.PartVehicles.Empty(int(p)) {
			dl := k.detailLinks()
			it := k.PartVehicles.Get(int(p)).Iterator()
			for i := 0; it.HasNext(); i++ {
				veh := it.Next()
				var ds []snapshot.Detail
				if dl == nil || dl.has(p, i) {
					ds = k.Details.For(veh, p)
				}
				lw.detailLines(lw.vf.get(k, veh), ds)
				if err := lw.maybeFlush(); err != nil {
					return err
				}
			}
		}
	} else {
		lw.extPartLines(lw.v.extPart(p))
	}
	if n == lw.links && lw.lookup {
		status := StatusNoFitments
		if lw.v.universal(p) {
			status = StatusUniversal
		}
		lw.statusLine(input, lw.head, nil, status)
	}
	return lw.maybeFlush()
}

// Vehicle writes a line for each fitment of each visible part fitting the vehicle (its
// own fitments and its model-year wildcard's, as its part list has them), in part-number
// order, or one status line.
func (lw *LinkWriter) Vehicle(id string) error {
	veh, ok := lw.v.LookupVehicle(id)
	if !ok {
		lw.statusLine(id, nil, nil, StatusNotFound)
		return lw.maybeFlush()
	}
	m, err := lw.v.mixedList(lw.v.vehicleID(veh), PartsQuery{})
	if err != nil {
		return err
	}
	vfrag := lw.vehicleFrag(veh)
	for _, it := range m.page {
		lw.startPart(id, it.p)
		lw.fitmentLines(vfrag, it.fits)
		if err := lw.maybeFlush(); err != nil {
			return err
		}
	}
	if len(m.page) == 0 {
		lw.statusLine(id, nil, vfrag, StatusNoFitments)
	}
	return lw.maybeFlush()
}

// Export writes the links of every visible part (of one brand when brand is not ""), in
// part-number order. An unknown brand is ErrNotFound.
func (lw *LinkWriter) Export(brand string) error {
	v, k := lw.v, lw.v.cat
	parts := v.parts
	own := v.ext.sorted
	if brand != "" {
		key := snapshot.Key(brand)
		own = slices.DeleteFunc(slices.Clone(own), func(seq uint32) bool { return snapshot.Key(v.ext.parts[seq].Brand) != key })
		b, ok := k.brandByKey[key]
		switch {
		case ok:
			parts = parts.Clone()
			parts.And(k.brandParts[b])
		case len(own) > 0:
			parts = nil
		default:
			return notFoundf("brand %s is not in this catalog", strings.TrimSpace(brand))
		}
	}
	emitOwn := func(before uint32) error { // own parts sorting before catalog part `before`
		for len(own) > 0 && v.ext.parts[own[0]].after <= before {
			if err := lw.part("", k.extID(own[0])); err != nil {
				return err
			}
			own = own[1:]
		}
		return nil
	}
	if parts != nil {
		it := parts.Iterator()
		for it.HasNext() {
			p := it.Next()
			if int(p) >= len(k.Parts) {
				break // own parts come by part number, below
			}
			if err := emitOwn(p); err != nil {
				return err
			}
			if err := lw.part("", p); err != nil {
				return err
			}
		}
	}
	if err := emitOwn(^uint32(0)); err != nil {
		return err
	}
	return lw.Flush()
}

// startPart encodes the leading columns of the part's lines: the input (lookups), the
// canonical part number and the brand.
func (lw *LinkWriter) startPart(input string, p uint32) {
	number, brand := lw.v.partNumber(p), lw.v.partBrand(p)
	h := lw.head[:0]
	if lw.format == LinksNDJSON {
		if lw.lookup {
			h = append(h, `"input":`...)
			h = appendJSONString(h, input)
			h = append(h, ',')
		}
		h = append(h, `"partNumber":`...)
		h = appendJSONString(h, number)
		h = append(h, `,"brand":`...)
		h = appendJSONString(h, brand)
	} else {
		if lw.lookup {
			h = appendCSVField(h, input)
			h = append(h, ',')
		}
		h = appendCSVField(h, number)
		h = append(h, ',')
		h = appendCSVField(h, brand)
	}
	lw.head = h
}

// detailLines writes the lines of one direct catalog link from its detail entries (none:
// one plain fitment), each distinct fitment once.
func (lw *LinkWriter) detailLines(vfrag []byte, ds []snapshot.Detail) {
	k := lw.v.cat
	if len(ds) == 0 {
		lw.line(vfrag, "", 0, "")
		return
	}
	for i, d := range ds {
		if slices.ContainsFunc(ds[:i], func(e snapshot.Detail) bool {
			return e.Position == d.Position && e.Qty == d.Qty && e.Note == d.Note
		}) {
			continue
		}
		lw.line(vfrag, k.Positions[d.Position], int(d.Qty), k.Notes[d.Note])
	}
}

func (lw *LinkWriter) fitmentLines(vfrag []byte, fs []Fitment) {
	for _, f := range fs {
		var pos, notes string
		var qty int
		if f.Position != nil {
			pos = *f.Position
		}
		if f.Qty != nil {
			qty = *f.Qty
		}
		if f.Notes != nil {
			notes = *f.Notes
		}
		lw.line(vfrag, pos, qty, notes)
	}
}

// extPartLines writes an own part's links: to catalog vehicles in id order, then to own
// vehicles by make, model, year and submodel.
func (lw *LinkWriter) extPartLines(ep *extPart) {
	for _, veh := range slices.Sorted(maps.Keys(ep.central)) {
		lw.fitmentLines(lw.vf.get(lw.v.cat, veh), ep.central[veh])
	}
	own := slices.Collect(maps.Keys(ep.own))
	x := lw.v.ext
	slices.SortFunc(own, func(a, b int) int {
		va, vb := &x.vehicles[a], &x.vehicles[b]
		return cmp.Or(cmp.Compare(snapshot.Key(va.Make), snapshot.Key(vb.Make)), cmp.Compare(snapshot.Key(va.Model), snapshot.Key(vb.Model)),
			cmp.Compare(va.Year, vb.Year), cmp.Compare(snapshot.Key(va.Submodel), snapshot.Key(vb.Submodel)))
	})
	for _, i := range own {
		lw.fitmentLines(lw.vehicleFrag(VehicleKey{id: uint32(i), own: true}), ep.own[i])
	}
}

// line appends one link line: the head, the vehicle's columns, the fitment's.
func (lw *LinkWriter) line(vfrag []byte, pos string, qty int, notes string) {
	lw.links++
	b := lw.buf
	if lw.format == LinksNDJSON {
		b = append(b, '{')
		b = append(b, lw.head...)
		b = append(b, ',')
		b = append(b, vfrag...)
		b = append(b, `,"position":`...)
		b = appendJSONOpt(b, pos)
		b = append(b, `,"qty":`...)
		if qty > 0 {
			b = strconv.AppendInt(b, int64(qty), 10)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"notes":`...)
		b = appendJSONOpt(b, notes)
		b = append(b, "}\n"...)
	} else {
		b = append(b, lw.head...)
		b = append(b, ',')
		b = append(b, vfrag...)
		b = append(b, ',')
		b = appendCSVField(b, pos)
		b = append(b, ',')
		if qty > 0 {
			b = strconv.AppendInt(b, int64(qty), 10)
		}
		b = append(b, ',')
		b = appendCSVField(b, notes)
		if lw.lookup {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	lw.buf = b
}

// statusLine reports an input without links: its part columns (head) and vehicle columns
// where known.
func (lw *LinkWriter) statusLine(input string, head, vfrag []byte, status string) {
	b := lw.buf
	if lw.format == LinksNDJSON {
		b = append(b, '{')
		if head != nil {
			b = append(b, head...)
		} else {
			b = append(b, `"input":`...)
			b = appendJSONString(b, input)
		}
		if vfrag != nil {
			b = append(b, ',')
			b = append(b, vfrag...)
		}
		b = append(b, `,"status":`...)
		b = appendJSONString(b, status)
		b = append(b, "}\n"...)
	} else {
		if head != nil {
			b = append(b, head...)
		} else {
			b = appendCSVField(b, input)
			b = append(b, ",,"...)
		}
		b = append(b, ',')
		if vfrag != nil {
			b = append(b, vfrag...)
		} else {
			b = append(b, ",,,,,"...)
		}
		b = append(b, ",,,,"...)
		b = append(b, status...)
		b = append(b, '\n')
	}
	lw.buf = b
}

// vehicleFrag returns the columns of a resolved vehicle.
func (lw *LinkWriter) vehicleFrag(veh VehicleKey) []byte {
	if !veh.own {
		return lw.vf.get(lw.v.cat, veh.id)
	}
	ev := &lw.v.ext.vehicles[veh.id]
	return appendVehicleColumns(nil, lw.format, ev.ID, lw.v.makeName(ev), ev.Model, ev.Submodel, ev.Year, ev.typ.String())
}

// vehicleID is the id of a resolved vehicle.
func (v *View) vehicleID(veh VehicleKey) string {
	if veh.own {
		return v.ext.vehicles[veh.id].ID
	}
	return v.cat.Vehicles[veh.id].ID
}

// partBrand is the brand of part p (catalog or own).
func (v *View) partBrand(p uint32) string {
	if int(p) < len(v.cat.Parts) {
		return v.cat.Brands[v.cat.Parts[p].Brand]
	}
	return v.extPart(p).Brand
}

func (v *View) universal(p uint32) bool {
	if int(p) < len(v.cat.Parts) {
		return v.cat.Parts[p].Universal
	}
	return v.extPart(p).Universal
}

// vehicleFrags holds every catalog vehicle's columns in one format, encoded on first use
// in batches of vehicleFragsBatch vehicles.
type vehicleFrags struct {
	format  LinkFormat
	batches []vehicleFragBatch
}

type vehicleFragBatch struct {
	once sync.Once
	data []byte
	off  []uint32 // vehicleFragsBatch+1 (fewer in the last batch)
}

// vehicleFrags returns the catalog's vehicle column table for a format.
func (k *catalog) vehicleFrags(f LinkFormat) *vehicleFrags {
	k.linkVehOnce[f].Do(func() {
		n := (len(k.Vehicles) + vehicleFragsBatch - 1) / vehicleFragsBatch
		k.linkVeh[f] = &vehicleFrags{format: f, batches: make([]vehicleFragBatch, n)}
	})
	return k.linkVeh[f]
}

func (t *vehicleFrags) get(k *catalog, veh uint32) []byte {
	b := &t.batches[veh/vehicleFragsBatch]
	b.once.Do(func() {
		lo := int(veh/vehicleFragsBatch) * vehicleFragsBatch
		hi := min(lo+vehicleFragsBatch, len(k.Vehicles))
		b.off = make([]uint32, 0, hi-lo+1)
		b.off = append(b.off, 0)
		for i := lo; i < hi; i++ {
			vh := &k.Vehicles[i]
			md := &k.Models[vh.Model]
			b.data = appendVehicleColumns(b.data, t.format, vh.ID, k.Makes[md.Make].Name, md.Name, vh.Submodel, int(vh.Year), md.Type.String())
			b.off = append(b.off, uint32(len(b.data)))
		}
	})
	i := veh % vehicleFragsBatch
	return b.data[b.off[i]:b.off[i+1]]
}

func appendVehicleColumns(dst []byte, f LinkFormat, id, make, model, submodel string, year int, typ string) []byte {
	if f == LinksNDJSON {
		dst = append(dst, `"vehicleId":`...)
		dst = appendJSONString(dst, id)
		dst = append(dst, `,"make":`...)
		dst = appendJSONString(dst, make)
		dst = append(dst, `,"model":`...)
		dst = appendJSONString(dst, model)
		dst = append(dst, `,"submodel":`...)
		dst = appendJSONString(dst, submodel)
		dst = append(dst, `,"year":`...)
		dst = strconv.AppendInt(dst, int64(year), 10)
		dst = append(dst, `,"type":`...)
		return appendJSONString(dst, typ)
	}
	for i, s := range []string{id, make, model, submodel} {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, s)
	}
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(year), 10)
	dst = append(dst, ',')
	return appendCSVField(dst, typ)
}

func appendJSONOpt(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}

// appendCSVField appends s as encoding/csv writes a field (comma-separated, LF line ends):
// quoted when it holds a comma, a quote, CR or LF, starts with a space, or is `\.`; quotes
// doubled inside.
func appendCSVField(dst []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// HasBrand reports whether brand (case-insensitively) is a brand of the catalog or of one
// of the tenant's own parts: what Export accepts.
func (v *View) HasBrand(brand string) bool {
	key := snapshot.Key(brand)
	if _, ok := v.cat.brandByKey[key]; ok {
		return true
	}
	for _, seq := range v.ext.sorted {
		if snapshot.Key(v.ext.parts[seq].Brand) == key {
			return true
		}
	}
	return false
}
