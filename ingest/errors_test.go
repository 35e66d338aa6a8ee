package ingest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// with returns the base files with name replaced by content.
func with(kv ...string) map[string]string {
	files := baseFiles()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "\x00delete" {
			delete(files, kv[i])
			continue
		}
		files[kv[i]] = kv[i+1]
	}
	return files
}

// appended returns name's base content with lines added at the end.
func appended(name string, lines ...string) (string, string) {
	return name, baseFiles()[name] + strings.Join(lines, "\n") + "\n"
}

func TestBuildBrokenSources(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		wantErr     string   // a fatal error, or
		wantRejects []string // the rejected rows of a build that goes through
	}{
		{
			name:    "missing column",
			files:   with("parts.csv", "part_number,name\nP-1,Brake pad\n"),
			wantErr: `parts.csv: missing required column "brand"`,
		},
		{
			name:    "missing file",
			files:   with("fitments.csv", "\x00delete"),
			wantErr: "fitments.csv: missing source file (also looked for .csv.gz and .csv.zst in DIR)",
		},
		{
			name:    "two spellings of one file",
			files:   with("parts.csv.gz", baseParts),
			wantErr: "parts.csv: more than one file for the same source: parts.csv, parts.csv.gz",
		},
		{
			name:    "empty file",
			files:   with("vehicles.csv", ""),
			wantErr: "vehicles.csv: missing header row",
		},
		{
			name:    "duplicate column",
			files:   with("fitments.csv", "part_number,make,model,years,Make\n"),
			wantErr: `fitments.csv: duplicate column "make"`,
		},
		{
			name:        "bad years",
			files:       with(appended("vehicles.csv", "atv,Can-Am,Renegade,,2024-2020,,", "atv,Can-Am,Renegade,,20x4,,", "atv,Can-Am,Renegade,,1850,,", `atv,Can-Am,Renegade,,"2020,,2021",,`)),
			wantRejects: []string{`vehicles.csv:6: bad years "2024-2020": reversed range 2024-2020`, `vehicles.csv:7: bad years "20x4": "20x4" is not a year`, `vehicles.csv:8: bad years "1850": year 1850 out of range 1900-2100`, `vehicles.csv:9: bad years "2020,,2021": empty part`},
		},
		{
			name:        "bad type",
			files:       with(appended("vehicles.csv", "car,Volvo,V70,,2004,,", ",Volvo,V70,,2004,,")),
			wantRejects: []string{`vehicles.csv:6: bad type "car" (want motorcycle, atv, utv or snowmobile)`, "vehicles.csv:7: missing type"},
		},
		{
			name:        "conflicting type",
			files:       with(appended("vehicles.csv", "utv,CAN-AM,outlander 1000,XT,2021,,")),
			wantRejects: []string{"vehicles.csv:6: type utv conflicts with type atv of Can-Am/Outlander 1000"},
		},
		{
			name:        "bad engine_cc",
			files:       with(appended("vehicles.csv", "atv,Can-Am,Renegade,,2024,1.5l,")),
			wantRejects: []string{`vehicles.csv:6: bad engine_cc "1.5l" (want a whole number)`},
		},
		{
			name:        "unknown vehicle",
			files:       with(appended("fitments.csv", "P-1,Honda,TRX420,FA7,2013,,,")),
			wantRejects: []string{"fitments.csv:6: unknown vehicle Honda/TRX420/FA7/2013"},
		},
		{
			name:        "unknown make and model",
			files:       with(appended("fitments.csv", "P-1,Hondaa,TRX420,,2013,,,", "P-1,Honda,TRX421,,2013,,,")),
			wantRejects: []string{"fitments.csv:6: unknown make Hondaa", "fitments.csv:7: unknown model Honda/TRX421"},
		},
		{
			name:        "year range not covered by vehicles.csv",
			files:       with(appended("fitments.csv", "P-1,Can-Am,Outlander 1000,,2019-2021,,,", "P-1,Can-Am,Outlander 1000,X-MR,2022-2023,,,", "P-1,Honda,TRX420,FA6,2014-2016,,,")),
			wantRejects: []string{"fitments.csv:6: unknown vehicle Can-Am/Outlander 1000//2019", "fitments.csv:7: unknown vehicle Can-Am/Outlander 1000/X-MR/2023", "fitments.csv:8: unknown vehicle Honda/TRX420/FA6/2015"},
		},
		{
			name:        "duplicate part",
			files:       with(appended("parts.csv", "P-1 ,EBC,Other pad,,,,,,,,", "P-2,K&N,Other filter,,,,,,,,")),
			wantRejects: []string{"parts.csv:5: duplicate part_number P-1 (first at line 2)", "parts.csv:6: duplicate part_number P-2 (first at line 3)"},
		},
		{
			name:        "missing part fields",
			files:       with(appended("parts.csv", ",EBC,Pad,,,,,,,,", "P-8,,Pad,,,,,,,,", "P-9,EBC, ,,,,,,,,")),
			wantRejects: []string{"parts.csv:5: missing part_number", "parts.csv:6: missing brand", "parts.csv:7: missing name"},
		},
		{
			name:        "bad ean",
			files:       with(appended("parts.csv", "P-4,EBC,Pad,,,,12345,,,,", "P-5,EBC,Pad,,,,40066331234x,,,,", "P-6,EBC,Pad,,,,123456789012345,,,,")),
			wantRejects: []string{`parts.csv:5: bad ean "12345" (want 8-14 digits)`, `parts.csv:6: bad ean "40066331234x" (want 8-14 digits)`, `parts.csv:7: bad ean "123456789012345" (want 8-14 digits)`},
		},
		{
			name:        "bad part values",
			files:       with(appended("parts.csv", "P-4,EBC,Pad,,,,,-1,,,", "P-5,EBC,Pad,,,,,0.5,yes,,", "P-6,EBC,Pad,A > B > C > D,,,,,,,", "P-7,EBC,Pad,A >  > C,,,,,,,", "P-8,EBC,Pad,,,HONDA,,,,,")),
			wantRejects: []string{`parts.csv:5: bad weight_kg "-1" (want a non-negative decimal number)`, `parts.csv:6: bad universal "yes" (want true or false)`, `parts.csv:7: bad category "A > B > C > D": 4 levels, at most 3 allowed`, `parts.csv:8: bad category "A >  > C": empty level`, `parts.csv:9: bad oem_numbers item "HONDA" (want OEBRAND:NUMBER)`},
		},
		{
			name:        "unknown part in fitments",
			files:       with(appended("fitments.csv", "P-99,Honda,TRX420,FA6,2013,,,")),
			wantRejects: []string{"fitments.csv:6: unknown part P-99"},
		},
		{
			name:        "bad qty and position",
			files:       with(appended("fitments.csv", "P-1,Honda,TRX420,FA6,2013,,0,", "P-1,Honda,TRX420,FA6,2013,,two,", "P-1,Honda,TRX420,FA6,2013,,70000,", "P-1,Honda,TRX420,FA6,2013,left side!,,")),
			wantRejects: []string{`fitments.csv:6: bad qty "0" (want a whole number 1-65535)`, `fitments.csv:7: bad qty "two" (want a whole number 1-65535)`, `fitments.csv:8: bad qty "70000" (want a whole number 1-65535)`, `fitments.csv:9: bad position "LEFT SIDE!" (want a short word: letters, digits, '-', '_' or '/', at most 32)`},
		},
		{
			name:        "bad fitment years",
			files:       with(appended("fitments.csv", "P-1,Honda,TRX420,FA6,2014-2012,,,", "P-1,Honda,TRX420,FA6,,,,")),
			wantRejects: []string{`fitments.csv:6: bad years "2014-2012": reversed range 2014-2012`, "fitments.csv:7: missing years"},
		},
		{
			name:        "bad quoting on one line",
			files:       with(appended("parts.csv", `P-4,EBC,"Pad"s,,,,,,,,`, `P-5,EBC,Pa"d,,,,,,,,`)),
			wantRejects: []string{`parts.csv:5: bad quoting at column 13: extraneous or missing " in quoted-field`, `parts.csv:6: bad quoting at column 11: bare " in non-quoted-field`},
		},
		{
			name:    "bad quoting across lines",
			files:   with(appended("parts.csv", `P-4,EBC,"Pad,,,,,,,,`, "P-5,EBC,Pad,,,,,,,,", `P-6,EBC,"Pad"x,,,,,,,,`)),
			wantErr: `parts.csv:5: bad quoting: quoted field opened here breaks at line 7 column 9 (extraneous or missing " in quoted-field); cannot tell where the next row starts`,
		},
		{
			name:        "unterminated quote on the last line",
			files:       with(appended("fitments.csv", `P-1,Honda,TRX420,FA6,2013,,,"oops`)),
			wantRejects: []string{`fitments.csv:6: bad quoting at column 35: extraneous or missing " in quoted-field`},
		},
		{
			name:    "unterminated quote swallowing rows",
			files:   with(appended("fitments.csv", `P-1,Honda,TRX420,FA6,2013,,,"oops`, "P-1,Honda,TRX420,FA6,2013,,,")),
			wantErr: `fitments.csv:6: bad quoting: quoted field opened here breaks at line 7 column 30 (extraneous or missing " in quoted-field); cannot tell where the next row starts`,
		},
		{
			name:        "wrong number of fields",
			files:       with(appended("fitments.csv", "P-1,Honda,TRX420,FA6,2013", `P-1,Honda,TRX420,"FA6",2013,,,,`)),
			wantRejects: []string{"fitments.csv:6: wrong number of fields: got 5, want 8", "fitments.csv:7: wrong number of fields: got 9, want 8"},
		},
		{
			name:        "invalid UTF-8",
			files:       with(appended("parts.csv", "P-4,EBC,Pad\xff,,,,,,,,")),
			wantRejects: []string{`parts.csv:5: invalid UTF-8 in column "name"`},
		},
		{
			name: "rejected part cascades to its fitments",
			files: with("parts.csv", baseParts+"P-4,EBC,Pad,,,,123,,,,\n",
				"fitments.csv", baseFitments+"P-4,Honda,TRX420,FA6,2013,,,\n"),
			wantRejects: []string{`parts.csv:5: bad ean "123" (want 8-14 digits)`, "fitments.csv:6: unknown part P-4"},
		},
	}
	for _, tt := range tests {
		dir := writeDir(t, tt.files)
		cat, rep, err := Build(dir, lenient)
		gotErr := ""
		if err != nil {
			gotErr = strings.ReplaceAll(err.Error(), dir, "DIR")
		}
		if gotErr != tt.wantErr {
			t.Errorf("Build(%s): got error %q, want %q", tt.name, gotErr, tt.wantErr)
			continue
		}
		if err != nil {
			if cat != nil || rep == nil || rep.Err != err.Error() {
				t.Errorf("Build(%s): got catalog %v, report %v on error, want nil catalog and a report", tt.name, cat != nil, rep != nil)
			}
			continue
		}
		var got []string
		for _, r := range rep.Rejects {
			got = append(got, r.String())
		}
		if !slices.Equal(got, tt.wantRejects) {
			t.Errorf("Build(%s): got rejects\n%s\nwant\n%s", tt.name, strings.Join(got, "\n"), strings.Join(tt.wantRejects, "\n"))
		}
		// The rejected rows are gone, everything else is as in the base catalog.
		if !strings.Contains(tt.name, "cascade") && len(tt.wantRejects) > 0 {
			base, _ := mustBuild(t, baseFiles())
			if dump(cat) != dump(base) {
				t.Errorf("Build(%s): got catalog\n%s\nwant the base catalog\n%s", tt.name, dump(cat), dump(base))
			}
		}
	}
}

func TestBuildErrorsWrapSentinels(t *testing.T) {
	tests := []struct {
		files map[string]string
		want  error
	}{
		{with("parts.csv", "part_number,name\n"), ErrMissingColumn},
		{with("parts.csv", "\x00delete"), ErrMissingFile},
		{with(appended("parts.csv", `P-4,"x`, "P-5,y,z,,,,,,,,")), ErrBadQuoting},
		{with(appended("parts.csv", `P-4,x,,,,,,,,,`)), ErrTooManyRejects},
	}
	for _, tt := range tests {
		_, _, err := buildFiles(t, tt.files, Options{})
		if !errors.Is(err, tt.want) {
			t.Errorf("Build: got %v, want %v", err, tt.want)
		}
	}
}
