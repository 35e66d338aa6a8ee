package journal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Round trip on the real file system: records of every size, across many segments,
// come back from a reopened log in order, from the start and from anywhere.
func TestRoundTrip(t *testing.T) {
	r := newRand(t)
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4096}
	l := mustOpen(t, dir, opts)
	var want []record
	for range 400 {
		rec := randRecord(r, 6000)
		seq := mustAppend(t, l, rec)
		want = append(want, record{seq, rec})
	}
	mustClose(t, l)
	if n := len(segmentFiles(t, OS, dir)); n < 20 {
		t.Fatalf("segments: got %d, want at least 20 (records must cross SegmentBytes)", n)
	}

	l = mustOpen(t, dir, opts)
	defer mustClose(t, l)
	if l.First() != 1 || l.Last() != uint64(len(want)) {
		t.Fatalf("First, Last: got %d, %d, want 1, %d", l.First(), l.Last(), len(want))
	}
	froms := []uint64{0, 1, 2, uint64(len(want)), uint64(len(want)) + 1, uint64(len(want)) + 5}
	for range 20 {
		froms = append(froms, 1+r.Uint64N(uint64(len(want))))
	}
	for _, from := range froms {
		got := readAll(t, l, from)
		exp := want[min(max(from, 1)-1, uint64(len(want))):]
		if len(got) != len(exp) {
			t.Fatalf("ReadFrom(%d): got %d records, want %d", from, len(got), len(exp))
		}
		for i := range got {
			if got[i].seq != exp[i].seq || !bytes.Equal(got[i].rec, exp[i].rec) {
				t.Fatalf("ReadFrom(%d): record %d: got seq %d, %d bytes; want seq %d, %d bytes",
					from, i, got[i].seq, len(got[i].rec), exp[i].seq, len(exp[i].rec))
			}
		}
	}
	// The next append continues the sequence.
	if seq := mustAppend(t, l, []byte("next")); seq != uint64(len(want))+1 {
		t.Fatalf("Append after reopen: got seq %d, want %d", seq, len(want)+1)
	}
}

// Concurrent appends share fsyncs, get unique contiguous seqs, and each seq holds the
// payload its Append sent.
func TestGroupCommit(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func() FS
		dir  func(t *testing.T) string
		// maxBatches is the most write+fsync rounds allowed per append.
		maxBatches float64
	}{
		// A 300µs flush on the in-memory disk: 32 goroutines must share them.
		{"slow-disk", func() FS { c := NewCrashFS(); c.SlowSync(300 * time.Microsecond); return c },
			func(*testing.T) string { return "log" }, 0.25},
		{"os", func() FS { return OS }, func(t *testing.T) string { return t.TempDir() }, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const goroutines, each = 32, 40
			fsys, dir := tc.fs(), tc.dir(t)
			l := mustOpen(t, dir, Options{FS: fsys, SegmentBytes: 16 << 10})
			defer mustClose(t, l)
			got := make([][]byte, goroutines*each+1)
			var mu sync.Mutex
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						rec := fmt.Appendf(nil, "g%d-i%d", g, i)
						seq, err := l.Append(rec)
						if err != nil {
							t.Errorf("Append: %v", err)
							return
						}
						mu.Lock()
						if seq == 0 || seq >= uint64(len(got)) || got[seq] != nil {
							t.Errorf("Append(%s): seq %d out of range or given twice", rec, seq)
						} else {
							got[seq] = rec
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			for seq := 1; seq < len(got); seq++ {
				if got[seq] == nil {
					t.Fatalf("no Append returned seq %d", seq)
				}
			}
			for _, rec := range readAll(t, l, 1) {
				if !bytes.Equal(rec.rec, got[rec.seq]) {
					t.Fatalf("record %d: got %q, want %q", rec.seq, rec.rec, got[rec.seq])
				}
			}
			st := l.Stats()
			t.Logf("%+v: %.1f records per batch", st, float64(st.Appends)/float64(st.Batches))
			// On disk, every batch is delimited: its records numbered, its last marked.
			if n := checkBatches(t, fsys, dir); n != int(st.Batches) {
				t.Errorf("batches on disk: got %d, want Stats().Batches %d", n, st.Batches)
			}
			if st.Appends != goroutines*each {
				t.Errorf("Stats().Appends: got %d, want %d", st.Appends, goroutines*each)
			}
			if st.Syncs >= st.Appends {
				t.Errorf("Stats().Syncs: got %d, want fewer than the %d appends", st.Syncs, st.Appends)
			}
			if float64(st.Batches) > tc.maxBatches*float64(st.Appends) {
				t.Errorf("Stats().Batches: got %d for %d appends, want at most %.0f", st.Batches, st.Appends, tc.maxBatches*float64(st.Appends))
			}
		})
	}
}

// A lone append on an idle log is committed at once, in its own batch: there is no timer
// waiting for company. (A batcher that waited even a millisecond would take 200 ms here.)
func TestLoneAppendNoDelay(t *testing.T) {
	l := mustOpen(t, "log", Options{FS: NewCrashFS()})
	defer mustClose(t, l)
	start := time.Now()
	for i := range 200 {
		mustAppend(t, l, []byte("x"))
		if st := l.Stats(); st.Batches != uint64(i+1) {
			t.Fatalf("after %d sequential appends: %d batches", i+1, st.Batches)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("200 sequential appends on an in-memory disk took %v: does a lone append wait?", d)
	}
}

// MaxBatchBytes caps a batch, but a record larger than the cap still goes through.
func TestMaxBatchBytes(t *testing.T) {
	c := NewCrashFS()
	c.SlowSync(200 * time.Microsecond)
	l := mustOpen(t, "log", Options{FS: c, MaxBatchBytes: 1000})
	defer mustClose(t, l)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 20 {
				if _, err := l.Append(make([]byte, 300)); err != nil {
					t.Errorf("Append: %v", err)
				}
			}
		})
	}
	wg.Wait()
	mustAppend(t, l, make([]byte, 5000))
	st := l.Stats()
	// At most three 320-byte frames fit in 1000 bytes.
	if least := (st.Appends - 1 + 2) / 3; st.Batches-1 < least {
		t.Errorf("Stats: %+v: fewer batches than MaxBatchBytes allows", st)
	}
}

// ReadFrom runs alongside appends and truncation and always sees a contiguous run of
// acknowledged records, each with the payload its Append sent.
func TestReadFromConcurrent(t *testing.T) {
	l := mustOpen(t, "log", Options{FS: NewCrashFS(), SegmentBytes: 1024})
	defer mustClose(t, l)
	var acked sync.Map // seq → []byte
	var appenders, others sync.WaitGroup
	var stop atomic.Bool
	for g := range 4 {
		appenders.Go(func() {
			for i := range 300 {
				rec := fmt.Appendf(nil, "g%d-i%d", g, i)
				seq, err := l.Append(rec)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				acked.Store(seq, rec)
			}
		})
	}
	others.Go(func() {
		for !stop.Load() {
			if last := l.Last(); last > 100 {
				if err := l.Truncate(last - 100); err != nil {
					t.Errorf("Truncate: %v", err)
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	for range 2 {
		others.Go(func() {
			for !stop.Load() {
				first, last := l.First(), l.Last()
				from := first + (last-first)/2
				next := from
				err := l.ReadFrom(from, func(seq uint64, rec []byte) error {
					if seq != next {
						return fmt.Errorf("got record %d, want %d", seq, next)
					}
					next++
					want, ok := acked.Load(seq)
					// An Append may not have returned yet for a durable record.
					if ok && !bytes.Equal(rec, want.([]byte)) {
						return fmt.Errorf("record %d: got %q, want %q", seq, rec, want)
					}
					return nil
				})
				if err != nil && !errors.Is(err, ErrTruncated) {
					t.Errorf("ReadFrom(%d): %v", from, err)
					return
				}
				if err == nil && next <= last {
					t.Errorf("ReadFrom(%d): stopped before %d, Last() was %d before the call", from, next, last)
					return
				}
			}
		})
	}
	appenders.Wait()
	stop.Store(true)
	others.Wait()
}

// After a failed fsync the log stops: that append, the ones waiting with it and every
// later one fail, though the fault was a one-off that a retry would get past.
func TestFailStop(t *testing.T) {
	for _, op := range []Op{OpSync, OpWrite} {
		t.Run(op.String(), func(t *testing.T) {
			c := NewCrashFS()
			l := mustOpen(t, "log", Options{FS: c})
			mustAppend(t, l, []byte("one"))
			mustAppend(t, l, []byte("two"))

			// Hold the failing operation until ten more appends are queued behind it.
			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			c.SetFault(func(o Op, _ string) error {
				if o != op {
					return nil
				}
				fail := false
				once.Do(func() { fail = true })
				if !fail {
					return nil
				}
				close(entered)
				<-release
				return errInjected
			})
			errs := make(chan error, 11)
			go func() { _, err := l.Append([]byte("three")); errs <- err }()
			<-entered
			for i := range 10 {
				go func() { _, err := l.Append(fmt.Appendf(nil, "waiting %d", i)); errs <- err }()
			}
			for queued(l) < 10 {
				time.Sleep(time.Millisecond)
			}
			close(release)
			for range 11 {
				if err := <-errs; !errors.Is(err, ErrFailed) {
					t.Errorf("Append during the failure: got %v, want ErrFailed", err)
				}
			}
			_, err := l.Append([]byte("later"))
			if !errors.Is(err, ErrFailed) || !errors.Is(err, errInjected) {
				t.Errorf("Append after the failure: got %v, want ErrFailed wrapping the cause", err)
			}
			if l.Last() != 2 {
				t.Errorf("Last: got %d, want 2", l.Last())
			}
			if got := readAll(t, l, 1); len(got) != 2 {
				t.Errorf("ReadFrom(1) after the failure: got %d records, want 2", len(got))
			}
			if err := l.Close(); err != nil {
				t.Errorf("Close after the failure: %v", err)
			}

			// Reopening recovers what reached the file; "three" may or may not be there.
			l = mustOpen(t, "log", Options{FS: c})
			defer mustClose(t, l)
			got := readAll(t, l, 1)
			if len(got) < 2 || string(got[0].rec) != "one" || string(got[1].rec) != "two" {
				t.Errorf("after reopen: got %d records, want one, two first", len(got))
			}
		})
	}
}

func queued(l *Segmented) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// Truncate removes exactly the old segments whose records are all <= upTo, the removal
// survives a crash, and reading below First fails with ErrTruncated.
func TestTruncate(t *testing.T) {
	c := NewCrashFS()
	opts := Options{FS: c, SegmentBytes: 512}
	l := mustOpen(t, "log", opts)
	for i := range 100 {
		mustAppend(t, l, fmt.Appendf(nil, "record %03d %040d", i+1, 0))
	}
	bases := func() []uint64 {
		var b []uint64
		for _, n := range segmentFiles(t, c, "log") {
			base, _ := parseSegmentName(n)
			b = append(b, base)
		}
		return b
	}
	all := bases()
	if len(all) < 10 {
		t.Fatalf("segments: got %d, want at least 10", len(all))
	}
	upTo := all[5] + 2 // inside segment 5: segments 0-4 are wholly below it
	if err := l.Truncate(upTo); err != nil {
		t.Fatalf("Truncate(%d): %v", upTo, err)
	}
	check := func(when string, l *Segmented, wantBases []uint64) {
		t.Helper()
		if got := bases(); fmt.Sprint(got) != fmt.Sprint(wantBases) {
			t.Fatalf("%s: segments: got %v, want %v", when, got, wantBases)
		}
		if l.First() != wantBases[0] || l.Last() != 100 {
			t.Fatalf("%s: First, Last: got %d, %d, want %d, 100", when, l.First(), l.Last(), wantBases[0])
		}
		for _, from := range []uint64{0, 1, l.First() - 1} {
			if err := l.ReadFrom(from, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrTruncated) {
				t.Fatalf("%s: ReadFrom(%d) with First() %d: got %v, want ErrTruncated", when, from, l.First(), err)
			}
		}
		got := readAll(t, l, l.First())
		if len(got) != int(101-l.First()) || string(got[0].rec[:10]) != fmt.Sprintf("record %03d", l.First()) {
			t.Fatalf("%s: ReadFrom(First()): got %d records", when, len(got))
		}
	}
	check("after Truncate", l, all[5:])

	// Up to one record short of segment 5's last: nothing more goes. Up to its last
	// record: segment 5 goes too.
	if err := l.Truncate(all[6] - 2); err != nil {
		t.Fatal(err)
	}
	check("after Truncate(one short of a segment's end)", l, all[5:])
	if err := l.Truncate(all[6] - 1); err != nil {
		t.Fatal(err)
	}
	check("after Truncate(a segment's last record)", l, all[6:])
	// Truncating less than before removes nothing.
	if err := l.Truncate(upTo); err != nil {
		t.Fatal(err)
	}
	check("after a smaller Truncate", l, all[6:])

	c.Crash()
	l.Close()
	l = mustOpen(t, "log", opts)
	check("after crash and reopen", l, all[6:])

	// Everything up to the newest record: the active segment stays.
	if err := l.Truncate(l.Last() + 10); err != nil {
		t.Fatal(err)
	}
	check("after Truncate(Last()+10)", l, all[len(all)-1:])
	c.Crash()
	l.Close()
	l = mustOpen(t, "log", opts)
	defer mustClose(t, l)
	check("after crash and reopen", l, all[len(all)-1:])
	if seq := mustAppend(t, l, []byte("next")); seq != 101 {
		t.Fatalf("Append: got seq %d, want 101", seq)
	}
}

func TestClosed(t *testing.T) {
	l := mustOpen(t, "log", Options{FS: NewCrashFS()})
	mustAppend(t, l, []byte("x"))
	mustClose(t, l)
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := l.Append([]byte("y")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: got %v, want ErrClosed", err)
	}
	if err := l.ReadFrom(1, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadFrom after Close: got %v, want ErrClosed", err)
	}
	if err := l.Truncate(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Truncate after Close: got %v, want ErrClosed", err)
	}
}

// Close lets appends that are already waiting finish.
func TestCloseCommitsPending(t *testing.T) {
	c := NewCrashFS()
	c.SlowSync(2 * time.Millisecond)
	l := mustOpen(t, "log", Options{FS: c})
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 20 {
		wg.Go(func() {
			if _, err := l.Append([]byte("x")); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, ErrClosed) {
				t.Errorf("Append racing Close: %v", err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	mustClose(t, l)
	wg.Wait()
	if got := l.Last(); got != uint64(ok.Load()) {
		t.Errorf("Last: got %d, want %d (every successful Append)", got, ok.Load())
	}
}

func TestFnError(t *testing.T) {
	l := mustOpen(t, "log", Options{FS: NewCrashFS()})
	defer mustClose(t, l)
	for range 5 {
		mustAppend(t, l, []byte("x"))
	}
	stop := errors.New("stop")
	n := 0
	err := l.ReadFrom(1, func(seq uint64, _ []byte) error {
		n++
		if seq == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("ReadFrom with fn failing at 3: got %v after %d calls, want stop after 3", err, n)
	}
}

func TestOpenNotADirectory(t *testing.T) {
	c := NewCrashFS()
	if err := c.WriteFile("log", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open("log", Options{FS: c}); err == nil || !strings.Contains(err.Error(), "log") {
		t.Errorf("Open on a file: got %v, want an error naming it", err)
	}
}
