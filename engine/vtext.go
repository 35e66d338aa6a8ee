package engine

import (
	"unicode"
	"unicode/utf8"
)

// Text normalisation for vehicle recognition (resolve.go): vehicle names and the free text
// that names them are both cut into atoms, maximal runs of letters or of digits, folded to
// lower case with Latin accents removed. So "YFZ450R", "yfz 450 r" and "YFZ-450R" are the
// same atoms (yfz, 450, r), and "Ténéré" is "tenere". Letters are joined back across
// separators by the index (resolve.go), so "X-MR" also matches "xmr" and "Can-Am" "canam".

// atom is one run of letters or digits of a folded text.
type atom struct {
	text  string
	off   int // of text in the concatenation of the atoms (see atomize)
	word  int // the whitespace-separated word of the text it came from, from 0
	digit bool
}

// foldLatin maps U+00C0..U+017F to ASCII: one letter each, ' ' for a separator (×, ÷), and
// digits for the letters that fold to two (see foldPairs).
const foldLatin = "aaaaaa1ceeeeiiiidnooooo ouuuuy23aaaaaa1ceeeeiiiidnooooo ouuuuy2y" + // U+00C0..U+00FF
	"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii44jjkkkllllllllllnnnnnnnnnoooooo55rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs" // U+0100..U+017F

var foldPairs = [...]string{'1': "ae", '2': "th", '3': "ss", '4': "ij", '5': "oe"}

// atomize appends the atoms of s to dst and returns them with text, the atoms' texts
// concatenated: consecutive atoms are consecutive in it, so the join of atoms i..j is
// text[off(i):off(j)+len(j)] without an allocation.
func atomize(s string, dst []atom) ([]atom, string) {
	type span struct {
		lo, hi, word int
		digit        bool
	}
	var spansBuf [24]span
	spans := spansBuf[:0]
	buf := make([]byte, 0, len(s))
	word, space := -1, true
	kind := 0 // of the atom being read: 0 none, 1 letters, 2 digits
	start := 0
	end := func() {
		if kind != 0 && len(buf) > start {
			spans = append(spans, span{start, len(buf), word, kind == 2})
		}
		kind, start = 0, len(buf)
	}
	for _, r := range s {
		isSpace := unicode.IsSpace(r)
		if !isSpace && space {
			word++
		}
		space = isSpace
		k := 0
		var one byte
		var more string
		switch {
		case r < utf8.RuneSelf:
			switch c := byte(r); {
			case 'a' <= c && c <= 'z':
				k, one = 1, c
			case 'A' <= c && c <= 'Z':
				k, one = 1, c+'a'-'A'
			case '0' <= c && c <= '9':
				k, one = 2, c
			}
		case 0xC0 <= r && r <= 0x17F:
			switch c := foldLatin[r-0xC0]; {
			case c == ' ':
			case c < 'a':
				k, more = 1, foldPairs[c]
			default:
				k, one = 1, c
			}
		case unicode.IsLetter(r):
			k, more = 1, string(unicode.ToLower(r))
		}
		if k != kind {
			end()
			kind = k
		}
		if k == 0 {
			continue
		}
		if more != "" {
			buf = append(buf, more...)
		} else {
			buf = append(buf, one)
		}
	}
	end()
	text := string(buf)
	for _, sp := range spans {
		dst = append(dst, atom{text: text[sp.lo:sp.hi], off: sp.lo, word: sp.word, digit: sp.digit})
	}
	return dst, text
}

// letters reports whether s is all ASCII lower-case letters or other letters (not digits).
func letters(s string) bool {
	return s != "" && (s[0] < '0' || s[0] > '9')
}

// Typo tolerance: one edit (insertion, deletion, substitution or transposition of two
// adjacent letters) in a word of letters. A vocabulary term of at least typoTermMin letters
// matches a query word of at least typoQueryMin letters within one edit.
const (
	typoTermMin  = 5
	typoQueryMin = 4
)

// within1 reports whether a and b are at most one edit apart (bytes).
func within1(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	switch len(b) - len(a) {
	case 0:
		if i >= len(a)-1 {
			return true // equal, or one substitution at the end
		}
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // transposition
	case 1:
		return a[i:] == b[i+1:]
	}
	return false
}

// deletions calls fn with s and with every string made by deleting one byte of s (a
// byte repeated next to itself gives one deletion), made in buf; it returns buf.
func deletions(s string, buf []byte, fn func(key []byte)) []byte {
	buf = append(buf[:0], s...)
	fn(buf)
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i] == s[i-1] {
			continue
		}
		buf = append(append(buf[:0], s[:i]...), s[i+1:]...)
		fn(buf)
	}
	return buf
}
