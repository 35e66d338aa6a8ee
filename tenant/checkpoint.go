package tenant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/journal"
	"github.com/fitment/fitment/snapshot"
)

// A checkpoint is one tenant's whole state as of a journal sequence number, in one file
// (FORMAT.md, "Checkpoints"): its record, keys and config, subscriptions, item settings
// and offers, aliases. Recovery reads each tenant's checkpoint and replays the journal
// records after it. Item rows carry both the catalog's part ids (fast to load when the
// catalog has not changed) and the part numbers (for any other catalog).

const (
	checkpointMagic   = "FTCKPT01"
	checkpointVersion = 2
	checkpointDir     = "checkpoints"
	checkpointExt     = ".ckpt"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	ckptEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	ckptDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

// errCheckpoint reports a checkpoint file this code cannot read.
var errCheckpoint = errors.New("corrupt checkpoint")

// checkpoint is one file, its head decoded.
type checkpoint struct {
	seq      uint64 // every journal record of the tenant up to seq is in it
	rec      record
	body     []byte // compressed
	bodySize uint64
	version  byte
}

// encodeCheckpoint makes the file content for a tenant at seq. The layout (FORMAT.md):
// magic, CRC-32C of the rest, then the head (version, seq, tenant record) uncompressed, so
// that start-up reads the tenant records without inflating the bodies, then the body
// (subscriptions, items, aliases) zstd-compressed.
func encodeCheckpoint(seq uint64, rec *record, v *engine.View) []byte {
	e := encoder{}
	e.str(v.Version())
	e.strs(v.Subscriptions())
	encodeItems(&e, v.EachItem)
	aliases := v.AllAliases()
	e.uvarint(uint64(len(aliases)))
	for _, a := range aliases {
		e.str(a.Alias)
		e.str(a.PartNumber)
		e.str(a.Source)
	}
	// Version 2: locations and their stock, grants, own vehicles and parts.
	locs := v.Locations()
	e.uvarint(uint64(len(locs)))
	for i := range locs {
		encodeLocation(&e, &locs[i])
	}
	stock := v.LocationStockState()
	e.uvarint(uint64(len(stock)))
	for _, ls := range stock {
		e.str(ls.Code)
		encodeItems(&e, func(fn func(engine.ItemState) bool) {
			for _, it := range ls.Items {
				if !fn(it) {
					return
				}
			}
		})
	}
	grants := v.GrantsGiven()
	e.uvarint(uint64(len(grants)))
	for _, g := range grants {
		e.str(g.Tenant)
		e.str(g.Precision)
		e.uvarint(uint64(g.LowThreshold))
	}
	vehicles := v.TenantVehicles()
	e.uvarint(uint64(len(vehicles)))
	for i := range vehicles {
		encodeVehicle(&e, &vehicles[i])
	}
	e.bytes(mustJSON(v.TenantParts()))
	head := encoder{}
	head.byte(checkpointVersion)
	head.uvarint(seq)
	head.bytes(mustJSON(rec))
	head.uvarint(uint64(len(e.b)))
	rest := ckptEncoder.EncodeAll(e.b, head.b)
	out := make([]byte, 0, len(checkpointMagic)+4+len(rest))
	out = append(out, checkpointMagic...)
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(rest, crcTable))
	return append(out, rest...)
}

// decodeCheckpoint reads a file's head: its seq and tenant record, and where its body is.
func decodeCheckpoint(file []byte) (*checkpoint, error) {
	if len(file) < len(checkpointMagic)+4 || string(file[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a checkpoint file", errCheckpoint)
	}
	rest := file[len(checkpointMagic)+4:]
	if crc32.Checksum(rest, crcTable) != binary.LittleEndian.Uint32(file[len(checkpointMagic):]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCheckpoint)
	}
	d := decoder{b: rest}
	version := d.byte()
	if d.err == nil && (version < 1 || version > checkpointVersion) {
		return nil, fmt.Errorf("%w: version %d, want 1 to %d", errCheckpoint, version, checkpointVersion)
	}
	c := &checkpoint{seq: d.uvarint(), version: version}
	if err := unmarshalJSON(d.bytes(), &c.rec); err != nil && d.err == nil {
		return nil, fmt.Errorf("%w: tenant record: %v", errCheckpoint, err)
	}
	c.bodySize = d.uvarint()
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v", errCheckpoint, d.err)
	}
	if c.bodySize > 1<<34 {
		return nil, fmt.Errorf("%w: body of %d bytes", errCheckpoint, c.bodySize)
	}
	c.body = d.b
	return c, nil
}

// overlay decodes the body: the tenant's state for the engine. catalog is the loaded
// catalog's version: when the item ids refer to it, the part numbers need not be read.
func (c *checkpoint) overlay(catalog string) (engine.TenantState, error) {
	return c.overlayInto(catalog, nil)
}

// overlayInto is overlay with the tenant's items decoded into buf's backing array (when
// large enough): a restore that hands the state to the engine and then reuses buf for the
// next tenant allocates the items of a cold start once, not once per tenant (they are most
// of a checkpoint: 20,000,000 on eu).
func (c *checkpoint) overlayInto(catalog string, buf []engine.ItemState) (engine.TenantState, error) {
	var st engine.TenantState
	raw, err := ckptDecoder.DecodeAll(c.body, make([]byte, 0, c.bodySize))
	if err != nil || uint64(len(raw)) != c.bodySize {
		return st, fmt.Errorf("%w: body does not decompress", errCheckpoint)
	}
	d := decoder{b: raw}
	st.Catalog = d.str()
	byID := st.Catalog != "" && st.Catalog == catalog
	if !byID {
		st.Catalog = "" // ids of another catalog: find the parts by number
	}
	st.Brands = d.strs()
	st.Items = d.itemsInto(byID, buf)
	nl := d.count(3)
	for i := 0; i < nl && d.err == nil; i++ {
		st.Aliases = append(st.Aliases, engine.Alias{Alias: d.str(), PartNumber: d.str(), Source: d.str()})
	}
	if c.version >= 2 {
		n := d.count(10)
		for i := 0; i < n && d.err == nil; i++ {
			st.Locations = append(st.Locations, d.location())
		}
		n = d.count(2)
		for i := 0; i < n && d.err == nil; i++ {
			st.LocationStock = append(st.LocationStock, engine.LocationStock{Code: d.str(), Items: d.items(byID)})
		}
		n = d.count(3)
		for i := 0; i < n && d.err == nil; i++ {
			st.Grants = append(st.Grants, engine.SharingGrant{Tenant: d.str(), Grant: engine.Grant{Precision: d.str(), LowThreshold: int(d.uvarint())}})
		}
		n = d.count(8)
		for i := 0; i < n && d.err == nil; i++ {
			st.Vehicles = append(st.Vehicles, d.vehicle())
		}
		if b := d.bytes(); d.err == nil {
			if err := unmarshalJSON(b, &st.Parts); err != nil {
				d.fail("own parts: " + err.Error())
			}
		}
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return engine.TenantState{}, fmt.Errorf("%w: %v", errCheckpoint, d.err)
	}
	return st, nil
}

func checkpointPath(dir, id string) string {
	return path.Join(dir, checkpointDir, id+checkpointExt)
}

// readCheckpoints reads every tenant's checkpoint file: tenant id → file content. Leftover
// temporary files (a checkpoint cut short by a crash) are removed.
func readCheckpoints(fsys journal.FS, dir string) (map[string][]byte, error) {
	cdir := path.Join(dir, checkpointDir)
	if err := fsys.MkdirAll(cdir); err != nil {
		return nil, err
	}
	names, err := fsys.ReadDir(cdir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, name := range names {
		full := path.Join(cdir, name)
		if strings.HasSuffix(name, ".tmp") {
			if err := fsys.Remove(full); err != nil {
				return nil, err
			}
			continue
		}
		id, ok := strings.CutSuffix(name, checkpointExt)
		if !ok || !ValidID(id) {
			continue
		}
		content, err := readCheckpointFile(fsys, dir, id)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", full, err)
		}
		out[id] = content
	}
	return out, nil
}

// encodeItems writes an item section: the catalog's parts by id (delta-coded, activation,
// offer), their part numbers as one length-prefixed block (read only for another catalog),
// then the parts found by number only (kept aside, own parts).
func encodeItems(e *encoder, each func(func(engine.ItemState) bool)) {
	var ids, nums, aside encoder
	var n, nAside int
	prev := uint32(0)
	each(func(it engine.ItemState) bool {
		if it.Part == snapshot.None {
			aside.str(it.Number)
			aside.byte(byte(it.Active))
			aside.uvarint(uint64(it.Offer))
			nAside++
			return true
		}
		ids.uvarint(uint64(it.Part - prev))
		prev = it.Part
		ids.byte(byte(it.Active))
		ids.uvarint(uint64(it.Offer))
		nums.str(it.Number)
		n++
		return true
	})
	e.uvarint(uint64(n))
	e.b = append(e.b, ids.b...)
	e.bytes(nums.b)
	e.uvarint(uint64(nAside))
	e.b = append(e.b, aside.b...)
}

// items reads an item section; byID: the ids refer to the loaded catalog.
func (d *decoder) items(byID bool) []engine.ItemState { return d.itemsInto(byID, nil) }

// itemsInto is items, reusing buf's backing array when it is large enough.
func (d *decoder) itemsInto(byID bool, buf []engine.ItemState) []engine.ItemState {
	n := d.count(3)
	var items []engine.ItemState
	if cap(buf) >= n {
		items = buf[:n]
		clear(items)
	} else {
		items = make([]engine.ItemState, n)
	}
	prev := uint64(0)
	for i := 0; i < n && d.err == nil; i++ {
		prev += d.uvarint()
		items[i] = engine.ItemState{Part: uint32(prev), Active: engine.Activation(d.byte()), Offer: engine.Offer(d.uvarint())}
	}
	nums := decoder{b: d.bytes()}
	if !byID {
		for i := 0; i < n && nums.err == nil; i++ {
			items[i].Number = nums.str()
		}
		if nums.err != nil {
			d.fail("part numbers")
		}
	}
	na := d.count(3)
	for i := 0; i < na && d.err == nil; i++ {
		items = append(items, engine.ItemState{Part: snapshot.None, Number: d.str(), Active: engine.Activation(d.byte()), Offer: engine.Offer(d.uvarint())})
	}
	return items
}
