package ingest

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fitment/fitment/snapshot"
)

// partColumns are PartColumns as the reader takes them: the first three are required.
var partColumns = func() []column {
	cols := make([]column, len(PartColumns))
	for i, c := range PartColumns {
		cols[i] = column{c, i < 3}
	}
	return cols
}()

// translationColumn reports whether h is name_xx or description_xx, returning the kind
// ("name" or "description") and the language code.
func translationColumn(h string) (kind, lang string, ok bool) {
	for _, k := range []string{"name_", "description_"} {
		if strings.HasPrefix(h, k) && len(h) == len(k)+2 && isLower(h[len(k)]) && isLower(h[len(k)+1]) {
			return k[:len(k)-1], h[len(k):], true
		}
	}
	return "", "", false
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

type rawPart struct {
	key    string
	line   int
	part   snapshot.Part // Brand and Category are parse-order indexes here
	detail snapshot.PartDetail
}

type rawCategory struct {
	name   string
	parent uint32 // parse-order index or snapshot.None
	level  uint8
	path   string // display path
	key    string // Key(path)
}

// partSet is parts.csv after parsing. Parts stay in parse order until finish, so that
// descriptions can be sanitised in the background while fitments are read; order and
// byKey already give every part its final id.
type partSet struct {
	raw        []rawPart
	order      []uint32          // final id → parse index
	byKey      map[string]uint32 // Key(number) → final id
	brands     []string          // parse order
	brandKeys  []string
	categories []rawCategory
}

func readParts(s *source, rep *Report) (*partSet, error) {
	ps := &partSet{}
	byKey := map[string]uint32{} // Key(number) → parse index
	brandIdx := map[string]uint32{}
	catIdx := map[string]uint32{}
	floats := &floatArena{}

	type translation struct {
		col  int
		kind string
		lang string
	}
	var trans []translation
	for i, h := range s.header {
		if kind, lang, ok := translationColumn(h); ok {
			trans = append(trans, translation{i, kind, lang})
		}
	}
	col := func(name string) int { return s.idx[name] }
	cols := make([]int, len(PartColumns))
	for i, c := range PartColumns {
		cols[i] = col(c)
	}

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
				get := func(i int) string { return cell(rec, cols[i]) }
				f := PartFields{Number: get(0), Brand: get(1), Name: get(2), Category: get(3), Description: get(4),
					OEMNumbers: get(5), EAN: get(6), Dims: [4]string{get(7), get(8), get(9), get(10)},
					CountryOfOrigin: get(11), ImageURLs: get(12), ManualURL: get(13), Universal: get(14)}
				if f.Number != "" && f.Brand != "" && f.Name != "" {
					if first, dup := byKey[snapshot.Key(f.Number)]; dup {
						return fmt.Sprintf("duplicate part_number %s (first at line %d)", f.Number, ps.raw[first].line)
					}
				}
				parsed, reason := ParsePart(&f, nil)
				if reason != "" {
					return reason
				}
				// The row is good: record it, out of the record's memory.
				parsed.clone()
				p := rawPart{line: line, key: snapshot.Key(parsed.Number), detail: parsed.Detail}
				p.part = snapshot.Part{Number: parsed.Number, Name: parsed.Name, Universal: parsed.Universal, Category: snapshot.None}
				bkey := snapshot.Key(parsed.Brand)
				bi, ok := brandIdx[bkey]
				if !ok {
					bi = uint32(len(ps.brands))
					ps.brands = append(ps.brands, parsed.Brand)
					ps.brandKeys = append(ps.brandKeys, bkey)
					brandIdx[bkey] = bi
				}
				p.part.Brand = bi
				if parsed.Category != nil {
					p.part.Category = ps.category(catIdx, parsed.Category)
				}
				if len(p.detail.OEM) > 0 {
					p.part.OEM = p.detail.OEM[0].Number
				}
				dims := [4]**float64{&p.detail.WeightKg, &p.detail.LengthCm, &p.detail.WidthCm, &p.detail.HeightCm}
				for i, dst := range dims {
					if parsed.HasDim[i] {
						*dst = floats.new(parsed.Dims[i])
					}
				}
				if len(p.detail.Images) > 0 {
					p.part.Image = p.detail.Images[0]
				}
				// Descriptions are sanitised later, in the background.
				for _, t := range trans {
					v := rec[t.col]
					if v == "" {
						continue
					}
					if t.kind == "name" {
						p.part.Names.Set(t.lang, strings.Clone(v))
					} else {
						if p.detail.Descriptions == nil {
							p.detail.Descriptions = map[string]string{}
						}
						p.detail.Descriptions[t.lang] = strings.Clone(v)
					}
				}
				byKey[p.key] = uint32(len(ps.raw))
				ps.raw = append(ps.raw, p)
				return ""
			}()
		}
		if bad != "" {
			rep.reject(s.name, line, bad)
		}
	}
	// Final order: by Key(number).
	ps.order = make([]uint32, len(ps.raw))
	for i := range ps.order {
		ps.order[i] = uint32(i)
	}
	slices.SortFunc(ps.order, func(a, b uint32) int { return cmp.Compare(ps.raw[a].key, ps.raw[b].key) })
	ps.byKey = byKey
	for id, old := range ps.order {
		byKey[ps.raw[old].key] = uint32(id)
	}
	return ps, nil
}

// categoryLevels splits a category path into its trimmed levels.
func categoryLevels(path string) ([]string, error) {
	levels := strings.Split(path, ">")
	if len(levels) > 3 {
		return nil, fmt.Errorf("%d levels, at most 3 allowed", len(levels))
	}
	for i, l := range levels {
		levels[i] = strings.TrimSpace(l)
		if levels[i] == "" {
			return nil, fmt.Errorf("empty level")
		}
	}
	return levels, nil
}

// category returns the parse index of the category node of levels, creating it and
// every missing ancestor. A node's display path is its parent's display path plus its
// own name as first spelled, so a tree never mixes spellings of one ancestor.
func (ps *partSet) category(idx map[string]uint32, levels []string) uint32 {
	parent := snapshot.None
	key := ""
	for i, l := range levels {
		if i > 0 {
			key += " > "
		}
		key += snapshot.Key(l)
		ci, ok := idx[key]
		if !ok {
			ci = uint32(len(ps.categories))
			path := strings.Clone(l)
			if parent != snapshot.None {
				path = ps.categories[parent].path + " > " + l
			}
			ps.categories = append(ps.categories, rawCategory{
				name: strings.Clone(l), parent: parent, level: uint8(i + 1), path: path, key: key,
			})
			idx[key] = ci
		}
		parent = ci
	}
	return parent
}

func validEAN(s string) bool {
	if len(s) < 8 || len(s) > 14 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// floatArena hands out *float64 from chunks, so a million parts' dimensions are not
// four million separate heap objects.
type floatArena struct{ buf []float64 }

func (a *floatArena) new(f float64) *float64 {
	if len(a.buf) == cap(a.buf) {
		a.buf = make([]float64, 0, 4096)
	}
	a.buf = append(a.buf, f)
	return &a.buf[len(a.buf)-1]
}
