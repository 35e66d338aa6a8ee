package engine

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"testing"
)

// TestAppendCSVFieldMatchesEncodingCSV: link lines quote fields exactly as encoding/csv's
// Writer does, on strings made of the characters that matter.
func TestAppendCSVFieldMatchesEncodingCSV(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "1", " ", ",", "\"", "\n", "\r", "\t", "\\", ".", "é", "\u00a0", "-"}
	cases := []string{"", `\.`, " lead", "trail ", "\u00a0nbsp"}
	for i := 0; i < 20000; i++ {
		var s string
		for n := r.IntN(6); n > 0; n-- {
			s += alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{s, "x"}) // a second field: a lone empty field is written as ""
		w.Flush()
		want := buf.String()
		got := string(appendCSVField(nil, s)) + ",x\n"
		if got != want {
			t.Fatalf("field %q: got %q, encoding/csv writes %q", s, got, want)
		}
	}
}
