package gen

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

var partsHeader = func() []string {
	h := []string{"part_number", "brand", "name", "category", "description", "oem_numbers", "ean",
		"weight_kg", "length_cm", "width_cm", "height_cm", "country_of_origin", "image_urls",
		"manual_url", "universal"}
	for _, l := range languages[1:] {
		h = append(h, "name_"+l, "description_"+l)
	}
	return h
}()

var otherOrigins = []string{"CN", "TW", "IT", "DE", "PL", "CZ", "TH", "IN", "Made in EU"}

// A textEdit is a revision's change to a part's texts: ki is its revision-0 kind, g its
// global index.
type textEdit struct {
	rv *revisions
	e  *partEdit
	g  int
	ki int
}

// writePart writes one parts.csv row.
//
// A revision's rename or category change (ed, nil for none) replaces the name and category
// after the random draws, so the row's other cells stay those of revision 0.
func writePart(o *csvFile, b *brand, bi, k int, pn string, kind *partKind, universal bool, oemMakes []string, rng *rand.Rand, sb *strings.Builder, ed *textEdit) {
	vi := rng.IntN(len(kind.variants))
	tk, variant := kind, kind.variants[vi] // the kind the texts are of
	if ed != nil {
		tk, variant = ed.rv.text(ed.e, ed.g, b, ed.ki, vi, universal)
	}
	name := func(l int) string {
		if variant == "" {
			return tk.names[l]
		}
		return tk.names[l] + " " + variant
	}
	descKind := rng.IntN(10) // 0-2: none, 3-6: HTML, 7-9: plain text
	s1 := rng.IntN(3)
	s2 := (s1 + 1 + rng.IntN(2)) % 3
	desc := func(l int) string {
		if descKind <= 2 {
			return ""
		}
		sb.Reset()
		if descKind <= 6 {
			sb.WriteString("<p><strong>")
			sb.WriteString(name(l))
			sb.WriteString(" – ")
			sb.WriteString(b.name)
			sb.WriteString("</strong></p><ul><li>")
			sb.WriteString(descSentences[l][s1])
			sb.WriteString("</li><li>")
			sb.WriteString(descSentences[l][s2])
			sb.WriteString("</li></ul>")
		} else {
			sb.WriteString(name(l))
			sb.WriteString(" – ")
			sb.WriteString(b.name)
			sb.WriteString(". ")
			sb.WriteString(descSentences[l][s1])
			sb.WriteString(" ")
			sb.WriteString(descSentences[l][s2])
		}
		return sb.String()
	}

	o.fields(pn, b.name, name(0), tk.category, desc(0))
	// OEM cross-references name the vehicle makes the part fits; the first is the primary.
	var oem []byte
	if len(oemMakes) > 0 && rng.IntN(10) < 6 {
		for i := 0; i < min(len(oemMakes), 1+rng.IntN(3)); i++ {
			if i > 0 {
				oem = append(oem, '|')
			}
			oem = appendOEM(oem, oemMakes[i], rng)
		}
	}
	o.field(string(oem))
	if rng.IntN(100) < 85 {
		o.field(ean13(bi, k, rng))
	} else {
		o.field("")
	}
	if rng.IntN(10) < 9 {
		wt := kind.weight[0] + rng.Float64()*(kind.weight[1]-kind.weight[0])
		o.field(strconv.FormatFloat(wt, 'f', 2, 64))
		for _, d := range kind.dims {
			o.field(strconv.FormatFloat(d*(0.75+rng.Float64()*0.5), 'f', 1, 64))
		}
	} else {
		o.fields("", "", "", "")
	}
	if rng.IntN(100) < 15 {
		o.field(otherOrigins[rng.IntN(len(otherOrigins))])
	} else {
		o.field(b.country)
	}
	slug := brandSlug(b.name)
	lpn := strings.ToLower(pn)
	var img []byte
	nimg := 0
	if rng.IntN(10) > 0 {
		nimg = 1 + rng.IntN(3)
	}
	for i := range nimg {
		if i > 0 {
			img = append(img, '|')
		}
		img = append(img, "https://img.example.com/"...)
		img = append(img, slug...)
		img = append(img, '/')
		img = append(img, lpn...)
		img = append(img, '-')
		img = appendInt(img, i+1)
		img = append(img, ".jpg"...)
	}
	o.field(string(img))
	if rng.IntN(100) < 8 {
		o.field("https://docs.example.com/" + slug + "/" + lpn + ".pdf")
	} else {
		o.field("")
	}
	switch {
	case universal:
		o.field("true")
	case rng.IntN(10) == 0:
		o.field("false")
	default:
		o.field("")
	}
	hasDesc := descKind > 2
	for l := 1; l < len(languages); l++ {
		if rng.IntN(100) < 88 {
			o.field(name(l))
			if hasDesc && rng.IntN(100) < 50 {
				o.field(desc(l))
			} else {
				o.field("")
			}
		} else {
			o.fields("", "")
		}
	}
	o.endRow()
}

var translit = map[rune]string{'ä': "a", 'å': "a", 'á': "a", 'à': "a", 'ö': "o", 'ø': "o",
	'ó': "o", 'æ': "ae", 'ü': "u", 'é': "e", 'è': "e", 'č': "c", 'ç': "c", 'ñ': "n", 'ß': "ss"}

func brandSlug(name string) string {
	var b []byte
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case translit[r] != "":
			b = append(b, translit[r]...)
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return strings.Trim(string(b), "-")
}

// ean13 numbers parts by brand and index, so EANs are unique, with a GS1-like country prefix
// and a valid check digit.
func ean13(bi, k int, rng *rand.Rand) string {
	prefixes := []string{"40", "50", "73", "64", "80", "84", "87", "30", "76", "59"}
	var d [13]byte
	copy(d[:2], prefixes[bi%len(prefixes)])
	// 7919 is coprime to 10⁶, so the item code is a bijection of k that does not look sequential.
	code := strconv.Itoa((1000+bi%9000)*1_000000 + (k*7919+123457)%1_000000) // 10 digits
	copy(d[2:12], code)
	sum := 0
	for i := range 12 {
		n := int(d[i] - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	d[12] = byte('0' + (10-sum%10)%10)
	return string(d[:])
}

// appendOEM writes "OEBRAND:NUMBER" in the number style of that vehicle make.
func appendOEM(b []byte, make_ string, rng *rand.Rand) []byte {
	b = append(b, strings.ToUpper(make_)...)
	b = append(b, ':')
	digits := func(n int) {
		for range n {
			b = append(b, byte('0'+rng.IntN(10)))
		}
	}
	letters := func(n int) {
		for range n {
			b = append(b, byte('A'+rng.IntN(26)))
		}
	}
	switch make_ {
	case "Honda":
		digits(5)
		b = append(b, '-')
		letters(3)
		b = append(b, '-')
		digits(3)
	case "Yamaha":
		digits(1)
		letters(2)
		b = append(b, '-')
		digits(5)
		b = append(b, "-00"...)
	case "Kawasaki", "Suzuki":
		digits(5)
		b = append(b, '-')
		digits(4)
	case "Polaris", "Arctic Cat":
		digits(7)
	case "Can-Am", "Ski-Doo", "Lynx":
		digits(9)
	case "KTM", "Husqvarna", "GasGas":
		digits(8)
		b = append(b, '0', '0', '0')
	case "BMW":
		digits(2)
		b = append(b, ' ')
		digits(2)
		b = append(b, ' ')
		digits(7)
	default:
		digits(3)
		b = append(b, '-')
		digits(5)
	}
	return b
}
