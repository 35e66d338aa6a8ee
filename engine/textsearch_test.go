package engine_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// Search within a vehicle, checked against the reference model: the engine's matches for a
// query within a vehicle are exactly the index's matches over the whole catalog that are
// among the vehicle's visible parts by the model (restricting inside the index loses
// nothing and adds nothing), and the pages of the listing over them, concatenated, are
// those parts, each once, best rank first.
func TestVehicleSearchMatchesReference(t *testing.T) {
	seed := testSeed(t, "TestVehicleSearchMatchesReference")
	rounds := 8
	if testing.Short() {
		rounds = 4
	}
	words := []string{"name", "seal", "hd", "bremsbelage", "bremsbelag", "kit", "slash", "sep", "co", "bp", "of", "ch", "x", "zzz"}
	for round := 0; round < rounds; round++ {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		c := randomCatalog(r)
		dir := t.TempDir()
		c.write(t, r, dir)
		cat, _, err := ingest.Build(dir, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		textDir := filepath.Join(t.TempDir(), "text")
		if _, err := index.Build(textDir, len(cat.Parts), index.CatalogDocs(cat, "en"), index.Options{}); err != nil {
			t.Fatal(err)
		}
		ix, err := index.Open(textDir)
		if err != nil {
			t.Fatal(err)
		}
		m := newModel(c)
		e := engine.New()
		e.LoadWithText(cat, "v1", ix)
		rt := randomTenant(r, c)
		e.Restore("t", rt.state(m))
		v, _ := e.View("t")
		numberOf := func(p uint32) string { return cat.Parts[p].Number }
		idOf := map[string]uint32{}
		for i, p := range cat.Parts {
			idOf[p.Number] = uint32(i)
		}
		for _, veh := range m.vehicles {
			visible := map[string]bool{}
			for _, pn := range m.visibleParts(rt, veh) {
				visible[pn] = true
			}
			vid := snapshot.VehicleID(veh.make, veh.model, veh.submodel, veh.year)
			for _, w := range append(words, c.parts[r.IntN(len(c.parts))].number) {
				label := fmt.Sprintf("round %d (seed %d) vehicle %s %d %q", round, seed, veh.model, veh.year, w)
				whole := ix.Search(index.Query{Text: w, Lang: "de"})
				want := map[string]bool{}
				it := whole.Matches.Iterator()
				for it.HasNext() {
					if pn := numberOf(it.Next()); visible[pn] {
						want[pn] = true
					}
				}
				within, err := v.Candidates(vid, false)
				if err != nil {
					t.Fatalf("%s: Candidates: %v", label, err)
				}
				ms, err := v.MatchParts(w, "de", within)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				cursor := ""
				for {
					page, err := v.List(engine.ListQuery{VehicleID: vid, Matches: ms, Limit: 1 + r.IntN(3), Cursor: cursor, Scope: w, Lang: "de"})
					if err != nil {
						t.Fatalf("%s: List: %v", label, err)
					}
					got = append(got, page.PartNumbers()...)
					if page.NextCursor == "" {
						break
					}
					cursor = page.NextCursor
				}
				// Where no candidate holds every word, the index keeps the parts holding the
				// most of them: that depends on the candidates, so only "every result is a
				// visible fitting part" holds.
				if res := ix.Search(index.Query{Text: w, Lang: "de", Candidates: within}); res.Matched < res.Words {
					for _, pn := range got {
						if !visible[pn] {
							t.Fatalf("%s: result %s is not a visible part fitting the vehicle", label, pn)
						}
					}
					continue
				}
				if len(got) != len(want) {
					t.Fatalf("%s: %d results %v, want the %d visible fitting matches %v", label, len(got), got, len(want), want)
				}
				seen := map[string]bool{}
				var prev index.Rank
				for i, pn := range got {
					if !want[pn] || seen[pn] {
						t.Fatalf("%s: result %s is not a visible fitting match, or came twice: %v", label, pn, got)
					}
					seen[pn] = true
					rank, _ := whole.RankOf(idOf[pn])
					if i > 0 && rank < prev {
						t.Fatalf("%s: %s (rank %v) after a part of rank %v: %v", label, pn, rank, prev, got)
					}
					prev = rank
				}
			}
		}
		ix.Close()
	}
}
