package ingest

import (
	"slices"
	"testing"
)

func TestParseYears(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{in: "2024", want: []int{2024}},
		{in: " 2020-2024 ", want: []int{2020, 2021, 2022, 2023, 2024}},
		{in: "2012-2014, 2018-2019", want: []int{2012, 2013, 2014, 2018, 2019}},
		{in: "2012 - 2013,2015", want: []int{2012, 2013, 2015}},
		{in: "2019-2021, 2020", want: []int{2019, 2020, 2021}},
		{in: "2021, 2019", want: []int{2019, 2021}},
		{in: "1900-1900, 2100", want: []int{1900, 2100}},
		{in: "", wantErr: "no years"},
		{in: "2024-2020", wantErr: "reversed range 2024-2020"},
		{in: "20x4", wantErr: `"20x4" is not a year`},
		{in: "-2024", wantErr: "empty year"},
		{in: "2020-", wantErr: "empty year"},
		{in: "2020-2021-2022", wantErr: `"2021-2022" is not a year`},
		{in: "1899", wantErr: "year 1899 out of range 1900-2100"},
		{in: "2101", wantErr: "year 2101 out of range 1900-2100"},
		{in: "02024", wantErr: `"02024" is not a year`},
		{in: "2020,,2021", wantErr: "empty part"},
		{in: "2020,", wantErr: "empty part"},
		{in: "+2020", wantErr: `"+2020" is not a year`},
	}
	for _, tt := range tests {
		got, err := ParseYears(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseYears(%q): got %v, %q, want %v, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseYears(f *testing.F) {
	for _, s := range []string{"2024", "2020-2024", "2012-2016, 2018-2023", "2024-2020", "x", ",", "1900-2100", " 2019 - 2021 ,2020"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ys, err := ParseYears(s)
		if err != nil {
			if ys != nil {
				t.Fatalf("ParseYears(%q): got %v with error %v, want nil", s, ys, err)
			}
			return
		}
		if len(ys) == 0 {
			t.Fatalf("ParseYears(%q): got no years and no error", s)
		}
		for i, y := range ys {
			if y < MinYear || y > MaxYear {
				t.Fatalf("ParseYears(%q): got year %d out of range", s, y)
			}
			if i > 0 && ys[i-1] >= y {
				t.Fatalf("ParseYears(%q): got %v, want strictly ascending", s, ys)
			}
		}
	})
}
