package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/snapshot"
)

// runCaptured runs a fitctl command with stdout captured.
func runCaptured(t *testing.T, run func([]string) error, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	stdout = &buf
	defer func() { stdout = os.Stdout }()
	err := run(args)
	return buf.String(), err
}

// TestInspect builds the tiny profile with fitctl build (so the snapshot has a text index
// and a report beside it) and checks every field inspect prints, as text and as JSON,
// against what Open reads; then a snapshot without either, and a long report.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	p, _ := gen.ProfileByName("tiny")
	src := filepath.Join(dir, "cat")
	if _, err := gen.Generate(p, 1, src, gen.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "c.snap")
	if err := runBuild([]string{"--in", src, "--out", snap}); err != nil {
		t.Fatalf("fitctl build: %v", err)
	}
	_, info, err := snapshot.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(snap + ".report.txt")
	if err != nil {
		t.Fatal(err)
	}
	reportLines := strings.Split(strings.TrimSuffix(string(report), "\n"), "\n")
	if info.TextIndex == "" || len(reportLines) > reportHead {
		t.Fatalf("the tiny build has text index %q and a report of %d lines: the test wants one, and a short report", info.TextIndex, len(reportLines))
	}

	text, err := runCaptured(t, runInspect, snap)
	if err != nil {
		t.Fatalf("fitctl inspect: %v", err)
	}
	t.Logf("fitctl inspect %s:\n%s", snap, text)
	want := []string{
		`(?m)^file +` + regexp.QuoteMeta(snap) + `$`,
		`(?m)^version +` + info.Version() + `$`,
		`(?m)^format +2$`,
		`(?m)^hash +` + info.Hash + `$`,
		`(?m)^built +` + regexp.QuoteMeta(info.Built.Format("2006-01-02T15:04:05Z")) + `$`,
		fmt.Sprintf(`(?m)^size +%d bytes \(`, info.Bytes),
		`(?m)^text index +` + regexp.QuoteMeta(info.TextIndex) + `$`,
		`(?m)^verified +no `,
		fmt.Sprintf(`(?m)^  makes +%d$`, info.Counts.Makes),
		fmt.Sprintf(`(?m)^  models +%d$`, info.Counts.Models),
		fmt.Sprintf(`(?m)^  vehicles +%d$`, info.Counts.Vehicles),
		fmt.Sprintf(`(?m)^  brands +%d$`, info.Counts.Brands),
		fmt.Sprintf(`(?m)^  categories +%d$`, info.Counts.Categories),
		fmt.Sprintf(`(?m)^  parts +%d$`, info.Counts.Parts),
		fmt.Sprintf(`(?m)^  links +%d$`, info.Counts.Links),
		`(?m)^build report ` + regexp.QuoteMeta(snap+".report.txt") + `$`,
	}
	total := 0
	for name, s := range info.Sections {
		want = append(want, fmt.Sprintf(`(?m)^  %s +%d +[0-9.]+ [KMG]?i?B +%d$`, regexp.QuoteMeta(name), s.Size, s.Chunks))
		total += s.Size
	}
	want = append(want, fmt.Sprintf(`(?m)^  total +%d `, total))
	for _, l := range reportLines {
		want = append(want, `(?m)^  `+regexp.QuoteMeta(l)+`$`)
	}
	if info.Counts.Parts == 0 || info.Counts.Links == 0 || len(info.Sections) < 10 {
		t.Fatalf("tiny info %+v: the test checks little", info)
	}
	for _, re := range want {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("inspect output lacks %s", re)
		}
	}

	js, err := runCaptured(t, runInspect, snap, "--json") // a flag after the file
	if err != nil {
		t.Fatalf("fitctl inspect --json: %v", err)
	}
	var got inspectOut
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, js)
	}
	wantOut := inspectOut{
		File: snap, Version: info.Version(), FormatVersion: 2, Hash: info.Hash, Built: info.Built,
		Bytes: info.Bytes, Counts: info.Counts, Sections: map[string]inspectSection{}, SectionBytes: total,
		TextIndex: info.TextIndex, TextIndexPresent: true,
		Report: &inspectReport{Path: snap + ".report.txt", Lines: len(reportLines), Head: reportLines},
	}
	for name, s := range info.Sections {
		wantOut.Sections[name] = inspectSection{Size: s.Size, Chunks: s.Chunks}
	}
	if !reflect.DeepEqual(got, wantOut) {
		t.Errorf("inspect --json:\n got %+v\nwant %+v", got, wantOut)
	}
	var keys map[string]any
	json.Unmarshal([]byte(js), &keys)
	for _, k := range []string{"file", "version", "formatVersion", "hash", "built", "bytes", "counts", "sections", "textIndex", "report"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("inspect --json has no %q", k)
		}
	}

	if v, err := runCaptured(t, runInspect, "--verify", snap); err != nil || !strings.Contains(v, "content hash and invariants checked") {
		t.Errorf("inspect --verify: %v\n%s", err, v)
	}

	// A long report: its head and where the rest is; the text index directory gone.
	long := ""
	for i := range 25 {
		long += fmt.Sprintf("parts.csv:%d: bad row\n", i+2)
	}
	os.WriteFile(snap+".report.txt", []byte(long), 0o644)
	os.RemoveAll(filepath.Join(dir, info.TextIndex))
	text, err = runCaptured(t, runInspect, snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"(first 20 of 25 lines)", "  parts.csv:21: bad row\n", "5 more lines in " + snap + ".report.txt", "(missing"} {
		if !strings.Contains(text, s) {
			t.Errorf("inspect with a long report and no index directory: no %q in\n%s", s, text)
		}
	}
	if strings.Contains(text, "parts.csv:22:") {
		t.Errorf("inspect prints report line 21:\n%s", text)
	}

	// No report, no text index.
	bare := tinySnapshot(t)
	text, err = runCaptured(t, runInspect, bare)
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`(?m)^text index +none$`, `(?m)^build report: none`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("inspect of a bare snapshot lacks %s:\n%s", re, text)
		}
	}
	js, _ = runCaptured(t, runInspect, "--json", bare)
	if strings.Contains(js, `"report"`) || strings.Contains(js, `"textIndex"`) || !strings.Contains(js, `"textIndexPresent": false`) {
		t.Errorf("inspect --json of a bare snapshot:\n%s", js)
	}

	for _, args := range [][]string{{}, {snap, bare}, {filepath.Join(dir, "missing.snap")}, {src + "/parts.csv"}} {
		if _, err := runCaptured(t, runInspect, args...); err == nil {
			t.Errorf("fitctl inspect %v: no error", args)
		}
	}
}
