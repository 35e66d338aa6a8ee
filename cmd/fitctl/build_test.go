package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
)

func TestParseMaxRejects(t *testing.T) {
	for _, tc := range []struct {
		in        string
		max       int
		ratio     float64
		wantError bool
	}{
		{in: "0", max: 0},
		{in: "25", max: 25},
		{in: " 7 ", max: 7},
		{in: "0.1%", max: -1, ratio: 0.001},
		{in: "2.5 %", max: -1, ratio: 0.025},
		{in: "100%", max: -1, ratio: 1},
		{in: "-1", wantError: true},
		{in: "101%", wantError: true},
		{in: "ten", wantError: true},
		{in: "%", wantError: true},
		{in: "", wantError: true},
	} {
		got, err := parseMaxRejects(tc.in)
		if tc.wantError {
			if err == nil {
				t.Errorf("parseMaxRejects(%q): got %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got.MaxRejects != tc.max || (tc.max < 0 && got.MaxRejectRatio != tc.ratio) {
			t.Errorf("parseMaxRejects(%q): got %+v, %v; want MaxRejects %d, ratio %g", tc.in, got, err, tc.max, tc.ratio)
		}
	}
}

// TestBuildPublishesTheTextIndex runs fitctl build twice on the tiny profile: each
// snapshot names its text index beside it, which opens and finds a part by its number,
// and the second build removes the first index.
func TestBuildPublishesTheTextIndex(t *testing.T) {
	dir := t.TempDir()
	p, _ := gen.ProfileByName("tiny")
	src := filepath.Join(dir, "cat")
	if _, err := gen.Generate(p, 1, src, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "c.snap")
	var names []string
	for range 2 {
		if err := runBuild([]string{"--in", src, "--out", out}); err != nil {
			t.Fatalf("fitctl build: %v", err)
		}
		cat, info, err := snapshot.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := index.OpenSnapshot(out, info)
		if err != nil {
			t.Fatalf("index.OpenSnapshot: %v", err)
		}
		pn := cat.Parts[7].Number
		hits := ix.Search(index.Query{Text: strings.ToLower(pn)}).Page(nil, 1)
		ix.Close()
		if len(hits) != 1 || hits[0].Part != 7 || hits[0].Rank != index.TierRank(index.TierPartNumber) {
			t.Errorf("search %q: got %v, want part 7 by its number", pn, hits)
		}
		names = append(names, info.TextIndex)
	}
	es, _ := os.ReadDir(dir)
	var got []string
	for _, e := range es {
		got = append(got, e.Name())
	}
	want := []string{"c.snap", "c.snap.report.txt", names[1], "cat"}
	slices.Sort(want)
	if names[0] == names[1] || !slices.Equal(got, want) {
		t.Errorf("after two builds: %v, want %v", got, want)
	}
}
