package snapshot

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// A section is one named byte stream of the snapshot (FORMAT.md lists them). Sections are
// written and hashed in this order.
var sectionOrder = []string{
	"makes", "models", "vehicles", "brands", "categories", "parts",
	"positions", "notes",
	"vehicle_parts.off", "vehicle_parts.data",
	"part_vehicles.off", "part_vehicles.data",
	"brand_vehicles.off", "brand_vehicles.data",
	"details.off", "details.entries",
}

// detailBlock is how many parts share one compressed part-detail block.
const detailBlock = 64

// encodeSections turns the tables of c into their section bytes.
func encodeSections(c *Catalog) map[string][]byte {
	out := make(map[string][]byte, len(sectionOrder))
	var e encbuf

	take := func(name string) {
		out[name] = e.b
		e = encbuf{}
	}

	e.uvarint(uint64(len(c.Makes)))
	for _, m := range c.Makes {
		e.str(m.ID)
		e.str(m.Name)
	}
	take("makes")

	e.uvarint(uint64(len(c.Models)))
	for _, m := range c.Models {
		e.str(m.ID)
		e.uvarint(uint64(m.Make))
		e.str(m.Name)
		e.byte1(byte(m.Type))
	}
	take("models")

	e.uvarint(uint64(len(c.Vehicles)))
	for _, v := range c.Vehicles {
		e.str(v.ID)
		e.uvarint(uint64(v.Model))
		e.str(v.Submodel)
		e.uvarint(uint64(v.Year))
		e.uvarint(uint64(v.EngineCC))
		e.str(v.Generation)
	}
	take("vehicles")

	e.uvarint(uint64(len(c.Brands)))
	for _, b := range c.Brands {
		e.str(b)
	}
	take("brands")

	e.uvarint(uint64(len(c.Categories)))
	for _, k := range c.Categories {
		e.str(k.ID)
		e.str(k.Name)
		e.ref(k.Parent)
		e.byte1(k.Level)
		e.str(k.Path)
	}
	take("categories")

	e.uvarint(uint64(len(c.Parts)))
	for i := range c.Parts {
		p := &c.Parts[i]
		e.str(p.Number)
		e.uvarint(uint64(p.Brand))
		e.str(p.Name)
		e.ref(p.Category)
		e.str(p.OEM)
		e.str(p.Image)
		if p.Universal {
			e.byte1(1)
		} else {
			e.byte1(0)
		}
		e.uvarint(uint64(len(p.Names)))
		for _, t := range p.Names {
			e.str(t.Lang)
			e.str(t.Text)
		}
	}
	take("parts")

	for _, t := range []struct {
		name string
		list []string
	}{{"positions", c.Positions}, {"notes", c.Notes}} {
		e.uvarint(uint64(len(t.list)))
		for _, s := range t.list {
			e.str(s)
		}
		take(t.name)
	}

	for _, t := range []struct {
		name string
		p    *Postings
	}{{"vehicle_parts", c.VehicleParts}, {"part_vehicles", c.PartVehicles}, {"brand_vehicles", c.BrandVehicles}} {
		e.uvarint(uint64(t.p.Len()))
		for i := 1; i < len(t.p.off); i++ {
			e.uvarint(t.p.off[i] - t.p.off[i-1])
		}
		take(t.name + ".off")
		out[t.name+".data"] = t.p.data
	}

	for _, o := range c.Details.Offsets {
		e.u32(o)
	}
	take("details.off")
	e.b = make([]byte, 0, 12*len(c.Details.Entries))
	for _, d := range c.Details.Entries {
		e.u32(d.Part)
		e.b = binary.LittleEndian.AppendUint16(e.b, d.Position)
		e.b = binary.LittleEndian.AppendUint16(e.b, d.Qty)
		e.u32(d.Note)
	}
	take("details.entries")
	return out
}

// encodeDetailBlocks serialises the part details, detailBlock parts to a block, each record
// a varint length and its JSON.
func encodeDetailBlocks(c *Catalog) ([][]byte, error) {
	var blocks [][]byte
	var e encbuf
	for i := range c.Parts {
		d, err := c.PartDetail(uint32(i))
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", c.Parts[i].Number, err)
		}
		js, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		e.uvarint(uint64(len(js)))
		e.b = append(e.b, js...)
		if (i+1)%detailBlock == 0 || i == len(c.Parts)-1 {
			blocks = append(blocks, e.b)
			e = encbuf{}
		}
	}
	return blocks, nil
}

// decodeDetail finds record i%detailBlock in a decompressed block.
func decodeDetail(block []byte, i int) (PartDetail, error) {
	var d PartDetail
	pos := 0
	for k := 0; ; k++ {
		n, w := binary.Uvarint(block[pos:])
		if w <= 0 || uint64(len(block)-pos-w) < n {
			return d, errors.New("corrupt part detail block")
		}
		pos += w
		if k == i%detailBlock {
			err := json.Unmarshal(block[pos:pos+int(n)], &d)
			return d, err
		}
		pos += int(n)
	}
}

// decodeSections rebuilds the tables of a Catalog from section bytes. It checks the
// encoding (truncation, trailing bytes, values too wide for their field, postings entries
// inside their payload), so no byte sequence makes it panic; what the values mean (references
// in range, sort orders, the postings' contents) is checked by validate, which Open runs next.
// Its errors are *FormatError.
func decodeSections(s map[string][]byte) (*Catalog, error) {
	c := &Catalog{}
	dec := func(name string) *decbuf { return newDecbuf(s[name]) }
	check := func(name string, d *decbuf) error {
		if d.err == nil && d.pos != len(d.s) {
			d.fail(fmt.Errorf("%d trailing bytes", len(d.s)-d.pos))
			d.errRow = -1
		}
		if d.err != nil {
			return &FormatError{Section: name, Row: d.errRow, Problem: d.err.Error()}
		}
		return nil
	}

	d := dec("makes")
	c.Makes = make([]Make, d.count(2))
	for i := range c.Makes {
		d.row = i
		c.Makes[i] = Make{ID: d.str(), Name: d.str()}
	}
	if err := check("makes", d); err != nil {
		return nil, err
	}

	d = dec("models")
	c.Models = make([]Model, d.count(4))
	for i := range c.Models {
		d.row = i
		m := &c.Models[i]
		m.ID = d.str()
		m.Make = d.uv32()
		m.Name = d.str()
		m.Type = VehicleType(d.byte1())
	}
	if err := check("models", d); err != nil {
		return nil, err
	}

	d = dec("vehicles")
	c.Vehicles = make([]Vehicle, d.count(6))
	for i := range c.Vehicles {
		d.row = i
		v := &c.Vehicles[i]
		v.ID = d.str()
		v.Model = d.uv32()
		v.Submodel = d.str()
		v.Year = d.uv16()
		v.EngineCC = d.uv32()
		v.Generation = d.str()
	}
	if err := check("vehicles", d); err != nil {
		return nil, err
	}

	d = dec("brands")
	c.Brands = make([]string, d.count(1))
	for i := range c.Brands {
		d.row = i
		c.Brands[i] = d.str()
	}
	if err := check("brands", d); err != nil {
		return nil, err
	}

	d = dec("categories")
	c.Categories = make([]Category, d.count(5))
	for i := range c.Categories {
		d.row = i
		k := &c.Categories[i]
		k.ID = d.str()
		k.Name = d.str()
		k.Parent = d.ref()
		k.Level = d.byte1()
		k.Path = d.str()
	}
	if err := check("categories", d); err != nil {
		return nil, err
	}

	d = dec("parts")
	c.Parts = make([]Part, d.count(8))
	for i := range c.Parts {
		d.row = i
		p := &c.Parts[i]
		p.Number = d.str()
		p.Brand = d.uv32()
		p.Name = d.str()
		p.Category = d.ref()
		p.OEM = d.str()
		p.Image = d.str()
		p.Universal = d.byte1() == 1
		if n := d.count(2); n > 0 {
			p.Names = make(Translations, n)
			for k := range p.Names {
				p.Names[k] = Translation{Lang: d.str(), Text: d.str()}
			}
		}
	}
	if err := check("parts", d); err != nil {
		return nil, err
	}

	for _, t := range []struct {
		name string
		dst  *[]string
	}{{"positions", &c.Positions}, {"notes", &c.Notes}} {
		d = dec(t.name)
		*t.dst = make([]string, d.count(1))
		for i := range *t.dst {
			d.row = i
			(*t.dst)[i] = d.str()
		}
		if err := check(t.name, d); err != nil {
			return nil, err
		}
	}

	for _, t := range []struct {
		name string
		dst  **Postings
	}{{"vehicle_parts", &c.VehicleParts}, {"part_vehicles", &c.PartVehicles}, {"brand_vehicles", &c.BrandVehicles}} {
		data := s[t.name+".data"]
		d = dec(t.name + ".off")
		n := d.count(1)
		off := make([]uint64, n+1)
		for i := 1; i <= n; i++ {
			d.row = i - 1
			x := d.uvarint()
			if x > uint64(len(data))-off[i-1] {
				d.fail(fmt.Errorf("entry of %d bytes at byte %d runs past the end of %s.data (%d bytes)", x, off[i-1], t.name, len(data)))
				break
			}
			off[i] = off[i-1] + x
		}
		if err := check(t.name+".off", d); err != nil {
			return nil, err
		}
		if off[n] != uint64(len(data)) {
			return nil, &FormatError{Section: t.name + ".data", Row: -1,
				Problem: fmt.Sprintf("%d bytes, but its entries (%s.off) cover %d", len(data), t.name, off[n])}
		}
		*t.dst = &Postings{data: data, off: off}
	}

	raw := s["details.off"]
	if len(raw)%4 != 0 {
		return nil, &FormatError{Section: "details.off", Row: -1, Problem: fmt.Sprintf("%d bytes, not a whole number of u32 offsets", len(raw))}
	}
	c.Details.Offsets = make([]uint32, len(raw)/4)
	for i := range c.Details.Offsets {
		c.Details.Offsets[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	raw = s["details.entries"]
	if len(raw)%12 != 0 {
		return nil, &FormatError{Section: "details.entries", Row: -1, Problem: fmt.Sprintf("%d bytes, not a whole number of 12-byte entries", len(raw))}
	}
	c.Details.Entries = make([]Detail, len(raw)/12)
	for i := range c.Details.Entries {
		rec := raw[12*i : 12*i+12]
		c.Details.Entries[i] = Detail{
			Part:     binary.LittleEndian.Uint32(rec[0:]),
			Position: binary.LittleEndian.Uint16(rec[4:]),
			Qty:      binary.LittleEndian.Uint16(rec[6:]),
			Note:     binary.LittleEndian.Uint32(rec[8:]),
		}
	}
	return c, nil
}
