package gen

import (
	"strconv"
)

// appendYears formats sorted distinct years the way the catalog format writes them:
// "2024", "2020-2024" or "2012-2016, 2018-2023".
func appendYears(b []byte, years []int) []byte {
	for i := 0; i < len(years); {
		j := i
		for j+1 < len(years) && years[j+1] == years[j]+1 {
			j++
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(years[i]), 10)
		if j > i {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(years[j]), 10)
		}
		i = j + 1
	}
	return b
}

func formatYears(years []int) string { return string(appendYears(nil, years)) }
