package ingest

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fitment/fitment/snapshot"
)

var partColumns = []column{
	{"part_number", true}, {"brand", true}, {"name", true}, {"category", false},
	{"description", false}, {"oem_numbers", false}, {"ean", false},
	{"weight_kg", false}, {"length_cm", false}, {"width_cm", false}, {"height_cm", false},
	{"country_of_origin", false}, {"image_urls", false}, {"manual_url", false}, {"universal", false},
}

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
	cNum, cBrand, cName, cCat, cDesc := col("part_number"), col("brand"), col("name"), col("category"), col("description")
	cOEM, cEAN, cCountry, cImages, cManual, cUniv := col("oem_numbers"), col("ean"), col("country_of_origin"), col("image_urls"), col("manual_url"), col("universal")
	dims := [4]int{col("weight_kg"), col("length_cm"), col("width_cm"), col("height_cm")}
	dimNames := [4]string{"weight_kg", "length_cm", "width_cm", "height_cm"}

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
				num, brand, name := rec[cNum], rec[cBrand], rec[cName]
				switch {
				case num == "":
					return "missing part_number"
				case brand == "":
					return "missing brand"
				case name == "":
					return "missing name"
				}
				key := snapshot.Key(num)
				if first, dup := byKey[key]; dup {
					return fmt.Sprintf("duplicate part_number %s (first at line %d)", num, ps.raw[first].line)
				}
				var p rawPart
				p.line = line
				p.part.Category = snapshot.None
				var levels []string
				if c := cell(rec, cCat); c != "" {
					var err error
					if levels, err = categoryLevels(c); err != nil {
						return fmt.Sprintf("bad category %q: %v", c, err)
					}
				}
				if o := cell(rec, cOEM); o != "" {
					for item := range strings.SplitSeq(o, "|") {
						item = strings.TrimSpace(item)
						if item == "" {
							continue
						}
						b, n, ok := strings.Cut(item, ":")
						b, n = strings.TrimSpace(b), strings.TrimSpace(n)
						if !ok || b == "" || n == "" {
							return fmt.Sprintf("bad oem_numbers item %q (want OEBRAND:NUMBER)", item)
						}
						p.detail.OEM = append(p.detail.OEM, snapshot.OEMRef{Brand: strings.Clone(b), Number: strings.Clone(n)})
					}
				}
				if e := cell(rec, cEAN); e != "" {
					if !validEAN(e) {
						return fmt.Sprintf("bad ean %q (want 8-14 digits)", e)
					}
					p.detail.EAN = strings.Clone(e)
				}
				var dimv [4]float64
				var dimok [4]bool
				for i, c := range dims {
					v := cell(rec, c)
					if v == "" {
						continue
					}
					f, err := strconv.ParseFloat(v, 64)
					if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
						return fmt.Sprintf("bad %s %q (want a non-negative decimal number)", dimNames[i], v)
					}
					dimv[i], dimok[i] = f, true
				}
				switch u := cell(rec, cUniv); {
				case u == "" || strings.EqualFold(u, "false"):
				case strings.EqualFold(u, "true"):
					p.part.Universal = true
				default:
					return fmt.Sprintf("bad universal %q (want true or false)", u)
				}
				// The row is good: record it.
				p.key = strings.Clone(key)
				p.part.Number = strings.Clone(num)
				p.part.Name = strings.Clone(name)
				bkey := snapshot.Key(brand)
				bi, ok := brandIdx[bkey]
				if !ok {
					bi = uint32(len(ps.brands))
					ps.brands = append(ps.brands, strings.Clone(brand))
					ps.brandKeys = append(ps.brandKeys, strings.Clone(bkey))
					brandIdx[ps.brandKeys[bi]] = bi
				}
				p.part.Brand = bi
				if levels != nil {
					p.part.Category = ps.category(catIdx, levels)
				}
				if len(p.detail.OEM) > 0 {
					p.part.OEM = p.detail.OEM[0].Number
				}
				for i := range dimv {
					if dimok[i] {
						f := floats.new(dimv[i])
						switch i {
						case 0:
							p.detail.WeightKg = f
						case 1:
							p.detail.LengthCm = f
						case 2:
							p.detail.WidthCm = f
						case 3:
							p.detail.HeightCm = f
						}
					}
				}
				if im := cell(rec, cImages); im != "" {
					for u := range strings.SplitSeq(im, "|") {
						if u = strings.TrimSpace(u); u != "" {
							p.detail.Images = append(p.detail.Images, strings.Clone(u))
						}
					}
					if len(p.detail.Images) > 0 {
						p.part.Image = p.detail.Images[0]
					}
				}
				p.detail.CountryOfOrigin = strings.Clone(cell(rec, cCountry))
				p.detail.ManualURL = strings.Clone(cell(rec, cManual))
				// Descriptions are sanitised later, in the background; until then they
				// hold the raw text (a clone: the record's memory is not kept).
				p.detail.Description = strings.Clone(cell(rec, cDesc))
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
