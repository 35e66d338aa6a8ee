package tenant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/fitment/fitment/engine"
)

// A journal record is one acknowledged batch of one tenant's changes (FORMAT.md, "Journal
// records"). Overlay changes are recorded as the engine resolved them (canonical part
// numbers), never as the client sent them, so replaying a record gives the same state
// whatever changed later; every operation sets values, so replaying a record onto a state
// that already holds it changes nothing.

const recordVersion = 1

// opKind tags one operation of a record.
type opKind uint8

const (
	opCreate        opKind = 1 // tenant record (JSON) and its two key hashes
	opKeys          opKind = 2 // the tenant's new key hashes
	opConfig        opKind = 3 // public config keys set or deleted
	opSubscribe     opKind = 4
	opUnsubscribe   opKind = 5
	opItems         opKind = 6 // item rows; flag: a full stock sync
	opPutAliases    opKind = 7
	opDeleteAliases opKind = 8
	opPutLocations  opKind = 9  // whole locations, upserts by code
	opDelLocations  opKind = 10 // codes
	opLocationStock opKind = 11 // rows; flag: a full sync of the locations named
	opGrants        opKind = 12 // grants set or revoked
	opPutVehicles   opKind = 13 // own vehicles
	opPutParts      opKind = 14 // own parts (JSON: there are few, with many optional fields)
	opDeleteParts   opKind = 15
)

// batch is the decoded form of a record.
type batch struct {
	tenant string
	meta   *metaOp       // tenant record, keys, config; nil for an overlay change
	change engine.Change // the overlay change (ResolveExact)
}

// metaOp is a change of the tenant's record itself.
type metaOp struct {
	create *record            // opCreate: the whole record, key hashes included
	keys   [][]byte           // opKeys: publishable, secret
	config map[string]*string // opConfig: nil value deletes
}

// Item row flags.
const (
	fSetActive = 1 << iota
	fSetPrice
	fClearPrice
	fSetStock
	fClearStock
)

type encoder struct{ b []byte }

func (e *encoder) byte(c byte)      { e.b = append(e.b, c) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// encodeBatch appends the record of b to dst.
func encodeBatch(dst []byte, b *batch) []byte {
	e := encoder{dst}
	e.byte(recordVersion)
	e.str(b.tenant)
	var ops int
	count := func(ok bool) {
		if ok {
			ops++
		}
	}
	ch := &b.change
	if m := b.meta; m != nil {
		count(m.create != nil)
		count(m.keys != nil)
		count(m.config != nil)
	}
	count(len(ch.Subscribe) > 0)
	count(len(ch.Unsubscribe) > 0)
	count(len(ch.Items) > 0 || ch.ClearStock)
	count(len(ch.PutAliases) > 0)
	count(len(ch.DeleteAliases) > 0)
	count(len(ch.PutLocations) > 0)
	count(len(ch.DeleteLocations) > 0)
	count(len(ch.LocationStock) > 0 || ch.ReplaceLocationStock)
	count(len(ch.Grants) > 0)
	count(len(ch.PutVehicles) > 0)
	count(len(ch.PutParts) > 0)
	count(len(ch.DeleteParts) > 0)
	e.uvarint(uint64(ops))
	if m := b.meta; m != nil {
		if m.create != nil {
			e.byte(byte(opCreate))
			e.bytes(mustJSON(m.create))
		}
		if m.keys != nil {
			e.byte(byte(opKeys))
			e.uvarint(uint64(len(m.keys)))
			for _, k := range m.keys {
				e.bytes(k)
			}
		}
		if m.config != nil {
			e.byte(byte(opConfig))
			e.uvarint(uint64(len(m.config)))
			for _, k := range sortedKeys(m.config) {
				e.str(k)
				if v := m.config[k]; v != nil {
					e.byte(1)
					e.str(*v)
				} else {
					e.byte(0)
				}
			}
		}
	}
	if len(ch.Subscribe) > 0 {
		e.byte(byte(opSubscribe))
		e.strs(ch.Subscribe)
	}
	if len(ch.Unsubscribe) > 0 {
		e.byte(byte(opUnsubscribe))
		e.strs(ch.Unsubscribe)
	}
	if len(ch.Items) > 0 || ch.ClearStock {
		e.byte(byte(opItems))
		if ch.ClearStock {
			e.byte(1)
		} else {
			e.byte(0)
		}
		e.uvarint(uint64(len(ch.Items)))
		for _, it := range ch.Items {
			e.str(it.Ref)
			var f byte
			if it.SetActive {
				f |= fSetActive
			}
			if it.SetPrice {
				f |= fSetPrice
				if it.Price < 0 {
					f |= fClearPrice
				}
			}
			if it.SetStock {
				f |= fSetStock
				if it.Stock < 0 {
					f |= fClearStock
				}
			}
			e.byte(f)
			if it.SetActive {
				e.byte(byte(it.Active))
			}
			if f&fSetPrice != 0 && f&fClearPrice == 0 {
				e.uvarint(uint64(it.Price))
			}
			if f&fSetStock != 0 && f&fClearStock == 0 {
				e.uvarint(uint64(it.Stock))
			}
		}
	}
	if len(ch.PutAliases) > 0 {
		e.byte(byte(opPutAliases))
		e.uvarint(uint64(len(ch.PutAliases)))
		for _, a := range ch.PutAliases {
			e.str(a.Alias)
			e.str(a.PartNumber)
			e.str(a.Source)
		}
	}
	if len(ch.DeleteAliases) > 0 {
		e.byte(byte(opDeleteAliases))
		e.strs(ch.DeleteAliases)
	}
	if len(ch.PutLocations) > 0 {
		e.byte(byte(opPutLocations))
		e.uvarint(uint64(len(ch.PutLocations)))
		for i := range ch.PutLocations {
			encodeLocation(&e, &ch.PutLocations[i])
		}
	}
	if len(ch.DeleteLocations) > 0 {
		e.byte(byte(opDelLocations))
		e.strs(ch.DeleteLocations)
	}
	if len(ch.LocationStock) > 0 || ch.ReplaceLocationStock {
		e.byte(byte(opLocationStock))
		e.bool(ch.ReplaceLocationStock)
		e.uvarint(uint64(len(ch.LocationStock)))
		for _, r := range ch.LocationStock {
			e.str(r.Location)
			e.str(r.Ref)
			switch {
			case !r.SetStock:
				e.byte(0)
			case r.Stock < 0:
				e.byte(2)
			default:
				e.byte(1)
				e.uvarint(uint64(r.Stock))
			}
		}
	}
	if len(ch.Grants) > 0 {
		e.byte(byte(opGrants))
		e.uvarint(uint64(len(ch.Grants)))
		for _, g := range ch.Grants {
			e.str(g.Tenant)
			e.bool(g.Grant != nil)
			if g.Grant != nil {
				e.str(g.Grant.Precision)
				e.uvarint(uint64(g.Grant.LowThreshold))
			}
		}
	}
	if len(ch.PutVehicles) > 0 {
		e.byte(byte(opPutVehicles))
		e.uvarint(uint64(len(ch.PutVehicles)))
		for i := range ch.PutVehicles {
			encodeVehicle(&e, &ch.PutVehicles[i])
		}
	}
	if len(ch.PutParts) > 0 {
		e.byte(byte(opPutParts))
		e.bytes(mustJSON(ch.PutParts))
	}
	if len(ch.DeleteParts) > 0 {
		e.byte(byte(opDeleteParts))
		e.strs(ch.DeleteParts)
	}
	return e.b
}

func (e *encoder) bool(b bool) {
	if b {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

func (e *encoder) optFloat(f *float64) {
	if f == nil {
		e.byte(0)
		return
	}
	e.byte(1)
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(*f))
}

func encodeLocation(e *encoder, l *engine.Location) {
	for _, s := range []string{l.Code, l.Name, l.Address, l.City, l.PostalCode, l.Country, l.Phone, l.Website, l.LinkedTenantID} {
		e.str(s)
	}
	e.optFloat(l.Lat)
	e.optFloat(l.Lng)
	e.bool(l.Active)
}

func (d *decoder) optFloat() *float64 {
	if d.byte() == 0 || d.err != nil {
		return nil
	}
	if len(d.b) < 8 {
		d.fail("truncated")
		return nil
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail("coordinate not finite")
		return nil
	}
	return &f
}

func (d *decoder) location() engine.Location {
	var l engine.Location
	for _, s := range []*string{&l.Code, &l.Name, &l.Address, &l.City, &l.PostalCode, &l.Country, &l.Phone, &l.Website, &l.LinkedTenantID} {
		*s = d.str()
	}
	l.Lat, l.Lng = d.optFloat(), d.optFloat()
	l.Active = d.byte() == 1
	return l
}

func encodeVehicle(e *encoder, v *engine.TenantVehicle) {
	for _, s := range []string{v.ID, v.Type, v.Make, v.Model, v.Submodel, v.Generation} {
		e.str(s)
	}
	e.uvarint(uint64(v.Year))
	e.uvarint(uint64(v.EngineCC))
}

func (d *decoder) vehicle() engine.TenantVehicle {
	var v engine.TenantVehicle
	for _, s := range []*string{&v.ID, &v.Type, &v.Make, &v.Model, &v.Submodel, &v.Generation} {
		*s = d.str()
	}
	v.Year, v.EngineCC = int(d.uvarint()), int(d.uvarint())
	return v
}

// errRecord reports a record this code cannot decode.
var errRecord = errors.New("corrupt journal record")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errRecord, what)
	}
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in what is left of the record (each element takes at
// least min bytes), so a corrupt length cannot make the decoder allocate without bound.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/max(min, 1)) {
		d.fail("count exceeds the record")
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) strs() []string {
	n := d.count(1)
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

// decodeBatch decodes one record.
func decodeBatch(rec []byte) (*batch, error) {
	d := decoder{b: rec}
	if v := d.byte(); d.err == nil && v != recordVersion {
		return nil, fmt.Errorf("%w: record version %d, want %d", errRecord, v, recordVersion)
	}
	b := &batch{tenant: d.str(), change: engine.Change{Resolve: engine.ResolveExact}}
	ops := d.count(1)
	meta := func() *metaOp {
		if b.meta == nil {
			b.meta = &metaOp{}
		}
		return b.meta
	}
	ch := &b.change
	for i := 0; i < ops && d.err == nil; i++ {
		switch k := opKind(d.byte()); k {
		case opCreate:
			var r record
			if err := unmarshalJSON(d.bytes(), &r); err != nil {
				d.fail("tenant record: " + err.Error())
			}
			meta().create = &r
		case opKeys:
			n := d.count(1)
			for j := 0; j < n && d.err == nil; j++ {
				meta().keys = append(meta().keys, d.bytes())
			}
		case opConfig:
			n := d.count(2)
			cfg := make(map[string]*string, n)
			for j := 0; j < n && d.err == nil; j++ {
				key := d.str()
				if d.byte() == 1 {
					v := d.str()
					cfg[key] = &v
				} else {
					cfg[key] = nil
				}
			}
			meta().config = cfg
		case opSubscribe:
			ch.Subscribe = d.strs()
		case opUnsubscribe:
			ch.Unsubscribe = d.strs()
		case opItems:
			ch.ClearStock = d.byte() == 1
			n := d.count(2)
			ch.Items = make([]engine.ItemUpdate, 0, n)
			for j := 0; j < n && d.err == nil; j++ {
				it := engine.ItemUpdate{Ref: d.str()}
				f := d.byte()
				if f&fSetActive != 0 {
					it.SetActive, it.Active = true, engine.Activation(d.byte())
					if it.Active > engine.Deactivated {
						d.fail("bad activation")
					}
				}
				if f&fSetPrice != 0 {
					it.SetPrice, it.Price = true, -1
					if f&fClearPrice == 0 {
						it.Price = int64(min(d.uvarint(), engine.MaxPriceCents))
					}
				}
				if f&fSetStock != 0 {
					it.SetStock, it.Stock = true, -1
					if f&fClearStock == 0 {
						it.Stock = int64(min(d.uvarint(), engine.MaxStock))
					}
				}
				ch.Items = append(ch.Items, it)
			}
		case opPutAliases:
			n := d.count(3)
			for j := 0; j < n && d.err == nil; j++ {
				ch.PutAliases = append(ch.PutAliases, engine.Alias{Alias: d.str(), PartNumber: d.str(), Source: d.str()})
			}
		case opDeleteAliases:
			ch.DeleteAliases = d.strs()
		case opPutLocations:
			n := d.count(10)
			for j := 0; j < n && d.err == nil; j++ {
				ch.PutLocations = append(ch.PutLocations, d.location())
			}
		case opDelLocations:
			ch.DeleteLocations = d.strs()
		case opLocationStock:
			ch.ReplaceLocationStock = d.byte() == 1
			n := d.count(3)
			for j := 0; j < n && d.err == nil; j++ {
				r := engine.LocationStockUpdate{Location: d.str(), Ref: d.str()}
				switch d.byte() {
				case 1:
					r.SetStock, r.Stock = true, int64(min(d.uvarint(), engine.MaxStock))
				case 2:
					r.SetStock, r.Stock = true, -1
				}
				ch.LocationStock = append(ch.LocationStock, r)
			}
		case opGrants:
			n := d.count(2)
			for j := 0; j < n && d.err == nil; j++ {
				g := engine.GrantChange{Tenant: d.str()}
				if d.byte() == 1 {
					g.Grant = &engine.Grant{Precision: d.str(), LowThreshold: int(d.uvarint())}
				}
				ch.Grants = append(ch.Grants, g)
			}
		case opPutVehicles:
			n := d.count(8)
			for j := 0; j < n && d.err == nil; j++ {
				ch.PutVehicles = append(ch.PutVehicles, d.vehicle())
			}
		case opPutParts:
			if b := d.bytes(); d.err == nil {
				if err := unmarshalJSON(b, &ch.PutParts); err != nil {
					d.fail("own parts: " + err.Error())
				}
			}
		case opDeleteParts:
			ch.DeleteParts = d.strs()
		default:
			d.fail(fmt.Sprintf("unknown operation %d", k))
		}
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return b, nil
}

// peekBatch reads a record's tenant and whether it changes the tenant record (creation,
// keys, config) rather than its overlay, without decoding the rest.
func peekBatch(rec []byte) (tenant string, isMeta bool, err error) {
	d := decoder{b: rec}
	if v := d.byte(); d.err == nil && v != recordVersion {
		return "", false, fmt.Errorf("%w: record version %d, want %d", errRecord, v, recordVersion)
	}
	tenant = d.str()
	if n := d.count(1); n > 0 {
		switch opKind(d.byte()) {
		case opCreate, opKeys, opConfig:
			isMeta = true
		}
	}
	return tenant, isMeta, d.err
}
