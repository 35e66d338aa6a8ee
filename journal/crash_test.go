package journal

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The test a kill -9 cannot do: appends run on several goroutines, the machine loses power
// at a random moment while some are in flight, and after the reboot every record whose
// Append returned nil is there with its payload. Records whose Append failed may or may
// not be there, but nothing appears that was never appended, nothing twice, and seqs stay
// contiguous. The log lives on across iterations, so recovery also runs on logs that were
// themselves recovered, truncated, and crashed in the middle of a rotation. Half the crashes
// keep part of the unsynced tail, its pages in any order: a torn batch whose later records
// survived must be cut off, not refused as corrupt.
func TestCrashKeepsAcked(t *testing.T) {
	r := newRand(t)
	c := NewCrashFS()
	// A flush that takes a while widens the window between write and fsync, where a
	// crash tears a batch. (Yielding rather than sleeping: a timer costs a millisecond.)
	// onSync, when set, runs first: it can crash the machine while a batch is written
	// and not yet durable.
	var onSync atomic.Pointer[func()]
	c.SetFault(func(op Op, _ string) error {
		if op == OpSync {
			if f := onSync.Load(); f != nil {
				(*f)()
			}
			for range 20 {
				runtime.Gosched()
			}
		}
		return nil
	})
	opts := Options{FS: c, SegmentBytes: 2048}
	// known holds every record that survived a reboot so far; they are durable for good.
	known := map[uint64]string{}
	l := mustOpen(t, "log", opts)
	var torn uint64
	for it := range 1000 {
		var first uint64
		if it%3 == 2 && l.Last() > 20 {
			if err := l.Truncate(l.Last() - r.Uint64N(20)); err != nil {
				t.Fatalf("iteration %d: Truncate: %v", it, err)
			}
		}
		first = l.First()

		var (
			mu        sync.Mutex
			acked     = map[uint64]string{}
			attempted = map[string]bool{}
			acks      atomic.Int64
			crash     sync.Once
			crashed   atomic.Bool
			wg        sync.WaitGroup
		)
		partial := it%2 == 1
		// A crash keeps any subset of the pages of the unsynced tail: with 512-byte pages
		// (sectors) most batches span several, which a disk may persist out of order.
		c.SetPageSize([]int{512, 512, 512, 4096}[r.IntN(4)])
		crashAt := int64(r.IntN(60))
		// Half the partial crashes strike during an fsync (the crashAt-th of this
		// iteration), when a written batch is certainly not durable yet, rather than
		// after an acknowledgement.
		inSync := partial && r.IntN(2) == 0
		goroutines := 1 + r.IntN(8)
		if inSync {
			// More appenders make bigger batches, which span more pages to tear.
			goroutines = 1 + r.IntN(32)
		}
		seeds := make([]uint64, goroutines)
		for g := range seeds {
			seeds[g] = r.Uint64()
		}
		doCrash := func() {
			if partial {
				mu.Lock()
				c.CrashPartial(r)
				mu.Unlock()
			} else {
				c.Crash()
			}
			crashed.Store(true)
		}
		if inSync {
			crashAt++ // the first sync at the earliest
			var syncs atomic.Int64
			hook := func() {
				if syncs.Add(1) == crashAt {
					crash.Do(doCrash)
				}
			}
			onSync.Store(&hook)
		} else if crashAt == 0 {
			crash.Do(doCrash)
		}
		for g := range goroutines {
			wg.Go(func() {
				// The appenders model the process that died: they stop at the crash. An
				// Append that started before it may still succeed, if the batch
				// opened a new segment after the crash; it is then durable too.
				for i := 0; !crashed.Load(); i++ {
					rec := fmt.Sprintf("it%d g%d i%d %s", it, g, i, strings.Repeat("x", int((seeds[g]+uint64(i)*7919)%300)))
					mu.Lock()
					attempted[rec] = true
					mu.Unlock()
					seq, err := l.Append([]byte(rec))
					if err != nil {
						if !errors.Is(err, ErrFailed) {
							t.Errorf("Append after the crash: got %v, want ErrFailed", err)
						}
						return
					}
					mu.Lock()
					acked[seq] = rec
					mu.Unlock()
					if acks.Add(1) == crashAt && !inSync {
						crash.Do(doCrash)
					}
				}
			})
		}
		wg.Wait()
		onSync.Store(nil)
		l.Close()

		l = mustOpen(t, "log", opts)
		torn += l.Stats().TornBytes
		if l.First() != first {
			t.Fatalf("iteration %d: First after reboot: got %d, want %d as after the last Truncate", it, l.First(), first)
		}
		seen := map[string]uint64{}
		for _, rec := range readAll(t, l, l.First()) {
			s := string(rec.rec)
			if prev, dup := seen[s]; dup {
				t.Fatalf("iteration %d: record %d repeats record %d", it, rec.seq, prev)
			}
			seen[s] = rec.seq
			if want, ok := known[rec.seq]; ok && want != s {
				t.Fatalf("iteration %d: record %d from an earlier reboot changed", it, rec.seq)
			}
			if want, ok := acked[rec.seq]; ok && want != s {
				t.Fatalf("iteration %d: record %d: got %.20q, acknowledged as %.20q", it, rec.seq, s, want)
			}
			if _, ok := known[rec.seq]; !ok && !attempted[s] {
				t.Fatalf("iteration %d: record %d %.20q was never appended", it, rec.seq, s)
			}
			known[rec.seq] = s
		}
		for seq := range acked {
			if seq > l.Last() {
				t.Fatalf("iteration %d: acknowledged record %d lost: Last() is %d after reboot (%d acked, %d goroutines, crash after %d)",
					it, seq, l.Last(), len(acked), goroutines, crashAt)
			}
		}
		for seq := range known {
			if seq > l.Last() {
				t.Fatalf("iteration %d: record %d lost after it had survived a reboot", it, seq)
			}
		}
	}
	mustClose(t, l)
	t.Logf("%d records, %d segments, %d torn bytes cut", len(known), len(segmentFiles(t, c, "log")), torn)
}

// A record acknowledged right after a rotation lives in a segment whose directory entry
// must be durable before the ack; and a crash between the rotation and the first write in
// the new segment must leave a log that opens.
func TestCrashAfterRotation(t *testing.T) {
	t.Run("record in new segment", func(t *testing.T) {
		c := NewCrashFS()
		opts := Options{FS: c, SegmentBytes: 256}
		l := mustOpen(t, "log", opts)
		var recs [][]byte
		for len(segmentFiles(t, c, "log")) < 3 {
			rec := bytes.Repeat([]byte{byte(len(recs))}, 100)
			mustAppend(t, l, rec)
			recs = append(recs, rec)
		}
		c.Crash()
		l.Close()
		l = mustOpen(t, "log", opts)
		defer mustClose(t, l)
		got := readAll(t, l, 1)
		if len(got) != len(recs) {
			t.Fatalf("after crash: got %d records, want the %d acknowledged", len(got), len(recs))
		}
		for i := range got {
			if !bytes.Equal(got[i].rec, recs[i]) {
				t.Fatalf("after crash: record %d differs", got[i].seq)
			}
		}
	})
	t.Run("empty new segment", func(t *testing.T) {
		c := NewCrashFS()
		opts := Options{FS: c, SegmentBytes: 256}
		l := mustOpen(t, "log", opts)
		for range 3 { // 16+3*(20+90) bytes: the fourth append starts a new segment
			mustAppend(t, l, make([]byte, 90))
		}
		// Fail the first write after a rotation's directory sync: the new segment exists,
		// empty.
		var rotated atomic.Bool
		c.SetFault(func(op Op, _ string) error {
			if op == OpSyncDir {
				rotated.Store(true)
			} else if op == OpWrite && rotated.Load() {
				return errInjected
			}
			return nil
		})
		if _, err := l.Append(make([]byte, 90)); !errors.Is(err, errInjected) {
			t.Fatalf("Append into the new segment: got %v, want the injected fault", err)
		}
		c.SetFault(nil)
		c.Crash()
		l.Close()
		if n := len(segmentFiles(t, c, "log")); n != 2 {
			t.Fatalf("segments after crash: got %d, want 2", n)
		}

		l = mustOpen(t, "log", opts)
		if l.Last() != 3 || l.First() != 1 {
			t.Fatalf("after crash: First, Last: got %d, %d, want 1, 3", l.First(), l.Last())
		}
		// Every record truncated: only the empty active segment remains, and it alone
		// carries Last() across a reboot.
		if err := l.Truncate(3); err != nil {
			t.Fatal(err)
		}
		if n := len(segmentFiles(t, c, "log")); n != 1 || l.First() != 4 {
			t.Fatalf("after Truncate(3): %d segments, First() %d; want 1, 4", n, l.First())
		}
		c.Crash()
		l.Close()
		l = mustOpen(t, "log", opts)
		defer mustClose(t, l)
		if l.First() != 4 || l.Last() != 3 {
			t.Fatalf("after truncating everything and a crash: First, Last: got %d, %d, want 4, 3", l.First(), l.Last())
		}
		if err := l.ReadFrom(3, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrTruncated) {
			t.Fatalf("ReadFrom(3): got %v, want ErrTruncated", err)
		}
		if got := readAll(t, l, 4); len(got) != 0 {
			t.Fatalf("ReadFrom(4): got %d records, want none", len(got))
		}
		if seq := mustAppend(t, l, []byte("next")); seq != 4 {
			t.Fatalf("Append: got seq %d, want 4", seq)
		}
	})
}
