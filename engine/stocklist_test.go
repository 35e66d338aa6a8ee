package engine

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestStockListMatchesMap drives stock lists with random batches (parts set several times
// in one batch, removals, parts on both sides of 65,536) and checks every read against a
// map, and that published lists never change.
func TestStockListMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(nearSeed(t), 7))
	var l *stockList
	model := map[uint32]uint32{}
	var published []*stockList
	var snapshots []map[uint32]uint32
	for round := 0; round < 300; round++ {
		w := l.writer()
		for range r.IntN(40) {
			p := uint32(r.IntN(200))
			if r.IntN(2) == 0 {
				p += 65_500
			}
			v := uint32(r.IntN(4)) // 0 removes
			w.set(p, v)
			if v == 0 {
				delete(model, p)
			} else {
				model[p] = v
			}
		}
		l = w.done()
		published = append(published, l)
		snap := map[uint32]uint32{}
		for p, v := range model {
			snap[p] = v
		}
		snapshots = append(snapshots, snap)

		for p := uint32(0); p < 65_800; p++ {
			if got, want := l.get(p), model[p]; got != want {
				t.Fatalf("round %d: get(%d) = %d, want %d", round, p, got, want)
			}
		}
		var ids []uint32
		l.each(func(p, v uint32) { ids = append(ids, p) })
		want := make([]uint32, 0, len(model))
		for p := range model {
			want = append(want, p)
		}
		slices.Sort(want)
		if !slices.Equal(ids, want) || l.len() != len(model) {
			t.Fatalf("round %d: each gives %v, want %v", round, ids, want)
		}
		start := uint32(r.IntN(65_800))
		var from []uint32
		l.eachFrom(start, func(p, v uint32) bool { from = append(from, p); return len(from) < 5 })
		i, _ := slices.BinarySearch(want, start)
		if w := want[i:min(len(want), i+5)]; !slices.Equal(from, w) && !(len(from) == 0 && len(w) == 0) {
			t.Fatalf("round %d: eachFrom(%d) gives %v, want %v", round, start, from, w)
		}
	}
	for k, pl := range published {
		got := map[uint32]uint32{}
		pl.each(func(p, v uint32) { got[p] = v })
		if !reflect.DeepEqual(got, snapshots[k]) {
			t.Fatalf("list published at round %d changed afterwards", k)
		}
	}
}
