package journal

import (
	"fmt"
	"testing"
)

// BenchmarkAppend measures appends on the real file system: one goroutine (every append
// pays a whole fsync) and many (appends share them). syncs/op is fsyncs per append,
// records/batch the group-commit factor.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{100, 4096} {
		b.Run(fmt.Sprintf("single/%dB", size), func(b *testing.B) {
			l := mustOpen(b, b.TempDir(), Options{})
			defer mustClose(b, l)
			rec := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			before := l.Stats()
			for b.Loop() {
				if _, err := l.Append(rec); err != nil {
					b.Fatal(err)
				}
			}
			report(b, before, l.Stats())
		})
		b.Run(fmt.Sprintf("parallel/%dB", size), func(b *testing.B) {
			l := mustOpen(b, b.TempDir(), Options{})
			defer mustClose(b, l)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.SetParallelism(32) // goroutines per GOMAXPROCS: HTTP handlers waiting on the log
			before := l.Stats()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rec := make([]byte, size)
				for pb.Next() {
					if _, err := l.Append(rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
			report(b, before, l.Stats())
		})
	}
}

func report(b *testing.B, before, after Stats) {
	appends := float64(after.Appends - before.Appends)
	b.ReportMetric(float64(after.Syncs-before.Syncs)/appends, "syncs/op")
	b.ReportMetric(appends/float64(after.Batches-before.Batches), "records/batch")
}
