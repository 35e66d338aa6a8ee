package ingest

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fitment/fitment/snapshot"
)

var fitmentColumns = []column{
	{"part_number", true}, {"make", true}, {"model", true}, {"submodel", false},
	{"years", true}, {"position", false}, {"qty", false}, {"notes", false},
}

// A link is packed as vehicle<<33 | part<<1 | plain, where plain marks a fitment with no
// position, qty or notes. Sorting the packed values groups a (vehicle, part) link's
// fitments together and orders the links as VehicleParts needs them.
const plainBit = 1

func packLink(v, p uint32, plain bool) uint64 {
	x := uint64(v)<<33 | uint64(p)<<1
	if plain {
		x |= plainBit
	}
	return x
}

// fitDetail is a fitment that has attributes, kept in input order (and sorted stably
// later) so that on merging the first given value wins. Position and Note are interned
// ids in first-seen order until remapped to the sorted tables.
type fitDetail struct {
	vp   uint64 // vehicle<<32 | part
	pos  uint16
	qty  uint16
	note uint32
}

// fitmentSet is fitments.csv after parsing: links and attribute records, unsorted.
type fitmentSet struct {
	links     chunks[uint64]
	details   chunks[fitDetail]
	positions []string // interned, [0] = ""
	notes     []string // interned, [0] = ""
}

// keyBuf folds names into Key form in a reused buffer, so that map lookups by
// m[string(b)] do not allocate.
type keyBuf struct{ b []byte }

func (k *keyBuf) fold(s string) []byte {
	k.b = k.b[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			k.b = append(k.b[:0], snapshot.Key(s)...)
			return k.b
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		k.b = append(k.b, c)
	}
	return k.b
}

func readFitments(s *source, vs *vehicleSet, ps *partSet, rep *Report) (*fitmentSet, error) {
	fs := &fitmentSet{positions: []string{""}, notes: []string{""}}
	posIdx := map[string]uint16{}
	noteIdx := map[string]uint32{}
	yearCache := map[string][]int{}
	var kb, mb keyBuf
	var years []int
	var vids []uint32
	var lastPart []byte
	var lastPID uint32

	col := func(name string) int { return s.idx[name] }
	cPart, cMake, cModel, cSub, cYears := col("part_number"), col("make"), col("model"), col("submodel"), col("years")
	cPos, cQty, cNotes := col("position"), col("qty"), col("notes")
	for {
		rec, line, bad, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if bad == "" {
			bad = func() string {
				num, mk, md, sub, ys := rec[cPart], rec[cMake], rec[cModel], cell(rec, cSub), rec[cYears]
				switch {
				case num == "":
					return "missing part_number"
				case mk == "":
					return "missing make"
				case md == "":
					return "missing model"
				case ys == "":
					return "missing years"
				}
				// Rows of one part tend to come together: skip the map for a repeat.
				if k := kb.fold(num); string(k) != string(lastPart) {
					id, ok := ps.byKey[string(k)]
					if !ok {
						return "unknown part " + num
					}
					lastPart, lastPID = append(lastPart[:0], k...), id
				}
				pid := lastPID
				if _, ok := vs.makeByKey[string(kb.fold(mk))]; !ok {
					return "unknown make " + mk
				}
				mb.b = append(append(mb.b[:0], kb.fold(mk)...), 0)
				mb.b = append(mb.b, kb.fold(md)...)
				model, ok := vs.modelByKey[string(mb.b)]
				if !ok {
					return fmt.Sprintf("unknown model %s/%s", mk, md)
				}
				if cached, ok := yearCache[ys]; ok {
					years = cached
				} else {
					parsed, err := ParseYears(ys)
					if err != nil {
						return fmt.Sprintf("bad years %q: %v", ys, err)
					}
					if len(yearCache) < 1<<16 {
						yearCache[strings.Clone(ys)] = parsed
					}
					years = parsed
				}
				var sid uint32
				if sub != "" {
					sid, ok = vs.subs[string(kb.fold(sub))]
					if !ok {
						return fmt.Sprintf("unknown vehicle %s/%s/%s/%d", mk, md, sub, years[0])
					}
				}
				vids = vids[:0]
				yt := vs.years[uint64(model)<<32|uint64(sid)]
				for _, y := range years {
					vid := yt.lookup(y)
					if vid == snapshot.None {
						return fmt.Sprintf("unknown vehicle %s/%s/%s/%d", mk, md, sub, y)
					}
					vids = append(vids, vid)
				}
				var pos uint16
				if p := cell(rec, cPos); p != "" {
					p = strings.ToUpper(p)
					if !validPosition(p) {
						return fmt.Sprintf("bad position %q (want a short word: letters, digits, '-', '_' or '/', at most 32)", p)
					}
					pos, ok = posIdx[p]
					if !ok {
						if len(fs.positions) > 1<<16-1 {
							return fmt.Sprintf("position %q: %v", p, ErrTooManyPositions)
						}
						pos = uint16(len(fs.positions))
						fs.positions = append(fs.positions, strings.Clone(p))
						posIdx[fs.positions[pos]] = pos
					}
				}
				var qty uint64
				if q := cell(rec, cQty); q != "" {
					var err error
					qty, err = strconv.ParseUint(q, 10, 16)
					if err != nil || qty == 0 {
						return fmt.Sprintf("bad qty %q (want a whole number 1-65535)", q)
					}
				}
				var note uint32
				if n := cell(rec, cNotes); n != "" {
					note, ok = noteIdx[n]
					if !ok {
						note = uint32(len(fs.notes))
						fs.notes = append(fs.notes, strings.Clone(n))
						noteIdx[fs.notes[note]] = note
					}
				}
				// The row is good: record its fitments.
				rep.FitmentRows++
				plain := pos == 0 && qty == 0 && note == 0
				for _, vid := range vids {
					fs.links.add(packLink(vid, pid, plain))
					if !plain {
						fs.details.add(fitDetail{vp: uint64(vid)<<32 | uint64(pid), pos: pos, qty: uint16(qty), note: note})
					}
				}
				return ""
			}()
		}
		if bad != "" {
			rep.reject(s.name, line, bad)
		}
	}
	rep.ExpandedFitments = fs.links.n
	return fs, nil
}

// validPosition accepts a short upper-case word such as LH, FRONT or FOUR-CORNER.
func validPosition(p string) bool {
	if len(p) > 32 {
		return false
	}
	for _, r := range p {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '/':
		case r > utf8.RuneSelf && strings.ToUpper(string(r)) == string(r) && strings.ToLower(string(r)) != string(r):
			// An upper-case non-ASCII letter (Ä, Ö).
		default:
			return false
		}
	}
	return true
}
