package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/fitment/fitment/snapshot"
)

// One part's fields, checked by the rules of parts.csv. The catalog build reads them from
// parts.csv; the API reads a tenant's own parts with the same rules (and messages).

// PartFields is one part as its source spells it: every field's text, trimmed, "" where
// not given.
type PartFields struct {
	Number, Brand, Name, Category, Description string
	OEMNumbers                                 string // OEBRAND:NUMBER items joined by '|'
	EAN                                        string
	Dims                                       [4]string // weight_kg, length_cm, width_cm, height_cm
	CountryOfOrigin, ImageURLs, ManualURL      string
	Universal                                  string // true or false
}

// PartColumns names the columns of parts.csv in the order of PartFields' fields (Dims
// counting four).
var PartColumns = []string{"part_number", "brand", "name", "category", "description", "oem_numbers", "ean",
	"weight_kg", "length_cm", "width_cm", "height_cm", "country_of_origin", "image_urls", "manual_url", "universal"}

var dimColumns = [4]string{"weight_kg", "length_cm", "width_cm", "height_cm"}

// ParsedPart is a part whose fields passed the rules. Its strings may share memory with
// the PartFields it came from. Description is the source text, not yet sanitised.
type ParsedPart struct {
	Number, Brand, Name string
	Category            []string // the path's levels; nil for none
	Universal           bool
	Detail              snapshot.PartDetail // Dimensions unset: see Dims
	Dims                [4]float64
	HasDim              [4]bool
}

// ParsePart checks f. reason is "" when it is a valid part, else why not, naming the field
// as name spells a column of parts.csv (nil: as parts.csv does).
func ParsePart(f *PartFields, name func(column string) string) (p ParsedPart, reason string) {
	if name == nil {
		name = func(c string) string { return c }
	}
	switch {
	case f.Number == "":
		return p, "missing " + name("part_number")
	case f.Brand == "":
		return p, "missing " + name("brand")
	case f.Name == "":
		return p, "missing " + name("name")
	}
	p.Number, p.Brand, p.Name = f.Number, f.Brand, f.Name
	if c := f.Category; c != "" {
		levels, err := categoryLevels(c)
		if err != nil {
			return p, fmt.Sprintf("bad %s %q: %v", name("category"), c, err)
		}
		p.Category = levels
	}
	if o := f.OEMNumbers; o != "" {
		for item := range strings.SplitSeq(o, "|") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			b, n, ok := strings.Cut(item, ":")
			b, n = strings.TrimSpace(b), strings.TrimSpace(n)
			if !ok || b == "" || n == "" {
				return p, fmt.Sprintf("bad %s item %q (want OEBRAND:NUMBER)", name("oem_numbers"), item)
			}
			p.Detail.OEM = append(p.Detail.OEM, snapshot.OEMRef{Brand: b, Number: n})
		}
	}
	if e := f.EAN; e != "" {
		if !validEAN(e) {
			return p, fmt.Sprintf("bad %s %q (want 8-14 digits)", name("ean"), e)
		}
		p.Detail.EAN = e
	}
	for i, v := range f.Dims {
		if v == "" {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return p, fmt.Sprintf("bad %s %q (want a non-negative decimal number)", name(dimColumns[i]), v)
		}
		p.Dims[i], p.HasDim[i] = x, true
	}
	switch u := f.Universal; {
	case u == "" || strings.EqualFold(u, "false"):
	case strings.EqualFold(u, "true"):
		p.Universal = true
	default:
		return p, fmt.Sprintf("bad %s %q (want true or false)", name("universal"), u)
	}
	for u := range strings.SplitSeq(f.ImageURLs, "|") {
		if u = strings.TrimSpace(u); u != "" {
			p.Detail.Images = append(p.Detail.Images, u)
		}
	}
	p.Detail.CountryOfOrigin = f.CountryOfOrigin
	p.Detail.ManualURL = f.ManualURL
	p.Detail.Description = f.Description
	return p, ""
}

// clone copies p's strings out of the memory they share with their source.
func (p *ParsedPart) clone() {
	p.Number, p.Brand, p.Name = strings.Clone(p.Number), strings.Clone(p.Brand), strings.Clone(p.Name)
	for i := range p.Category {
		p.Category[i] = strings.Clone(p.Category[i])
	}
	d := &p.Detail
	for i := range d.OEM {
		d.OEM[i] = snapshot.OEMRef{Brand: strings.Clone(d.OEM[i].Brand), Number: strings.Clone(d.OEM[i].Number)}
	}
	for i := range d.Images {
		d.Images[i] = strings.Clone(d.Images[i])
	}
	d.EAN, d.CountryOfOrigin = strings.Clone(d.EAN), strings.Clone(d.CountryOfOrigin)
	d.ManualURL, d.Description = strings.Clone(d.ManualURL), strings.Clone(d.Description)
}

var descriptionPolicy = sync.OnceValue(newPolicy)

// SanitizeDescription turns a source description (HTML or plain text) into a part's
// description as the build does: plain text wrapped in paragraphs, HTML reduced to the
// allow-list of catalog-format.md.
func SanitizeDescription(s string) string { return sanitizeDescription(descriptionPolicy(), s) }

// ValidPosition reports whether p (upper-cased) is a fitment position the build accepts.
func ValidPosition(p string) bool { return validPosition(p) }

// PositionRule says what ValidPosition accepts, for messages.
const PositionRule = "a short word: letters, digits, '-', '_' or '/', at most 32"
