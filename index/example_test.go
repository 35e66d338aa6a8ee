package index_test

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

func ExampleIndex_Search() {
	docs := []index.Doc{
		{Number: "FA-123", Brand: "EBC", Names: []snapshot.Translation{{Lang: "en", Text: "Sintered brake pads"}, {Lang: "de", Text: "Sinter-Bremsbeläge"}}},
		{Number: "KN-204", Brand: "K&N", OEM: []string{"15410-MFJ-D01"}, Names: []snapshot.Translation{{Lang: "en", Text: "Oil filter"}}},
		{Number: "FA-124", Brand: "EBC", Names: []snapshot.Translation{{Lang: "en", Text: "Organic brake pads"}}},
	}
	ix, err := index.BuildMemory(len(docs), func(part uint32, d *index.Doc) error { *d = docs[part]; return nil })
	if err != nil {
		panic(err)
	}
	defer ix.Close()

	vehicle := roaring.BitmapOf(0, 1) // the parts that fit the shopper's vehicle
	for _, q := range []string{"bremsbelaege", "brake pads", "15410 MFJ D01", "oil filtre"} {
		r := ix.Search(index.Query{Text: q, Lang: "de", Candidates: vehicle})
		fmt.Printf("%q: %d match(es)\n", q, r.Matches.GetCardinality())
		for _, h := range r.Page(nil, 10) {
			fmt.Printf("  %s  %v\n", docs[h.Part].Number, h.Rank)
		}
	}
	// Output:
	// "bremsbelaege": 1 match(es)
	//   FA-123  text typos=0 field=name inexact=1
	// "brake pads": 1 match(es)
	//   FA-123  text typos=0 field=name:other inexact=0
	// "15410 MFJ D01": 1 match(es)
	//   KN-204  oem
	// "oil filtre": 1 match(es)
	//   KN-204  text typos=1 field=name:other inexact=1
}
