package ingest

import (
	"os"
	"testing"
)

// BenchmarkBuild builds the source directory named by FITMENT_BUILD_DIR (for example the
// output of `fitctl gen --profile small`); it is skipped when the variable is unset.
func BenchmarkBuild(b *testing.B) {
	dir := os.Getenv("FITMENT_BUILD_DIR")
	if dir == "" {
		b.Skip("set FITMENT_BUILD_DIR to a generated source directory")
	}
	size, err := InputSize(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Build(dir, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
