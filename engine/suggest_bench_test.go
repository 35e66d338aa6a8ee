package engine_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
)

// BenchmarkSuggest: one keystroke. Each input is a random tenant and a prefix (1 to 12
// characters) of a random phrase of a random kind: a part name in one of the catalog's
// languages, a category, a brand, a make and model, a part number. build-ms is what the
// first suggestion of a freshly loaded catalog waits for (PrepareSuggest).
func BenchmarkSuggest(b *testing.B) {
	env := loadBench(b)
	fresh := engine.New()
	fresh.Load(env.cat, "fresh")
	t0 := time.Now()
	fresh.PrepareSuggest()
	buildMs := float64(time.Since(t0).Microseconds()) / 1000
	env.eng.PrepareSuggest()

	langs := []string{"", "de", "fr", "sv", "fi", "nl", "it", "es"}
	cat := env.cat
	qs := sample(b, env, func(r *rand.Rand, v *engine.View) query {
		var phrase string
		switch r.IntN(5) {
		case 0:
			p := &cat.Parts[r.IntN(len(cat.Parts))]
			phrase = p.Name
			if len(p.Names) > 0 {
				phrase = p.Names[r.IntN(len(p.Names))].Text
			}
		case 1:
			phrase = cat.Categories[r.IntN(len(cat.Categories))].Name
		case 2:
			phrase = cat.Brands[r.IntN(len(cat.Brands))]
		case 3:
			m := &cat.Models[r.IntN(len(cat.Models))]
			phrase = cat.Makes[m.Make].Name + " " + m.Name
		default:
			phrase = cat.Parts[r.IntN(len(cat.Parts))].Number
		}
		if phrase == "" {
			return nil
		}
		q := phrase[:min(len(phrase), 1+r.IntN(12))]
		lang := langs[r.IntN(len(langs))]
		return func() { v.Suggest(q, lang, 5) }
	})
	run(b, qs)
	b.ReportMetric(buildMs, "build-ms")
}
