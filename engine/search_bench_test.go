package engine_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fitment/fitment/engine"
)

// BenchmarkSearch: a whole search as GET /api/t/search runs it, in-process: the text
// matched within the candidates (a vehicle's visible parts, or the tenant's whole visible
// catalog), then the first page of 50 with category and brand facets. Queries are one or
// two words of a random part's name in one of its languages, the request in that language,
// or a part number. Skips when the snapshot has no text index (build it with fitctl build).
func BenchmarkSearch(b *testing.B) {
	env := loadBench(b)
	if !env.eng.HasTextIndex() {
		b.Skip("the benchmark snapshot has no text index")
	}
	cat := env.cat
	draw := func(r *rand.Rand) (text, lang string) {
		p := &cat.Parts[r.IntN(len(cat.Parts))]
		if r.IntN(5) == 0 {
			return p.Number, ""
		}
		text, lang = p.Name, ""
		if len(p.Names) > 0 && r.IntN(2) == 0 {
			t := p.Names[r.IntN(len(p.Names))]
			text, lang = t.Text, t.Lang
		}
		words := strings.Fields(text)
		if len(words) == 0 {
			return p.Number, ""
		}
		i := r.IntN(len(words))
		n := 1 + r.IntN(2)
		return strings.Join(words[i:min(len(words), i+n)], " "), lang
	}
	for _, shape := range []string{"vehicle", "tenant"} {
		b.Run(shape, func(b *testing.B) {
			qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
				id := ""
				if shape == "vehicle" {
					if id = vehicleOf(r, v); id == "" {
						return nil
					}
				}
				text, lang := draw(r)
				within, err := v.Candidates(id, false)
				if err != nil || within.IsEmpty() {
					return nil
				}
				return func() {
					ms, err := v.MatchParts(text, lang, within)
					if err != nil {
						panic(err)
					}
					if _, err := v.List(engine.ListQuery{VehicleID: id, Matches: ms, Limit: 50, Facets: engine.FacetCategory | engine.FacetBrand, Lang: lang, Scope: text}); err != nil {
						panic(err)
					}
				}
			})
			run(b, qs)
		})
	}
}
