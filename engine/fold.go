package engine

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// appendFolded appends s folded for type-ahead matching: lower case, accents off ("Bremsbeläge"
// → "bremsbelage", "ß" → "ss"), every run of characters that are neither letters nor digits
// one space, no space at either end. "K&N Air-Filter" → "k n air filter".
func appendFolded(dst []byte, s string) []byte {
	start := len(dst)
	space := true // at the start, or after a space: a separator adds nothing
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				if !space {
					dst = append(dst, ' ')
					space = true
				}
				continue
			}
			dst = append(dst, c)
			space = false
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if f, ok := foldSpecial[r]; ok {
			dst = append(dst, f...)
			space = false
			i += n
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
			if !space {
				dst = append(dst, ' ')
				space = true
			}
			i += n
			continue
		}
		// The base letter of a precomposed one: NFD puts it first.
		if d := norm.NFD.PropertiesString(s[i : i+n]).Decomposition(); len(d) > 0 {
			if b, _ := utf8.DecodeRune(d); b != utf8.RuneError {
				r = b
			}
		}
		i += n
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent of a decomposed letter
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		space = false
	}
	if len(dst) > start && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// fold returns s folded (appendFolded).
func fold(s string) string { return string(appendFolded(nil, s)) }

// foldSpecial holds letters NFD does not decompose.
var foldSpecial = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'œ': "oe", 'Œ': "oe",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'þ': "th", 'Þ': "th", 'ı': "i",
}

// appendNumberKey appends s folded with every space dropped: the key under which part
// numbers complete, so "55716-013", "55716 013" and "55716013" meet.
func appendNumberKey(dst []byte, s string) []byte {
	start := len(dst)
	dst = appendFolded(dst, s)
	out := dst[:start]
	for _, c := range dst[start:] {
		if c != ' ' {
			out = append(out, c)
		}
	}
	return out
}
