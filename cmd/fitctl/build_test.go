package main

import "testing"

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
