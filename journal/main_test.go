package journal

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	update   = flag.Bool("update", false, "rewrite testdata/v<FormatVersion>")
	seedFlag = flag.Uint64("seed", 0, "random seed for the randomised tests (0: from the clock)")
)

// TestMain fails the run if a committer goroutine outlives its test: every Open in the
// tests is matched by a Close.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leak := leakedCommitters(); leak != "" {
			fmt.Fprintf(os.Stderr, "leaked committer goroutines:\n%s\n", leak)
			code = 1
		}
	}
	os.Exit(code)
}

func leakedCommitters() string {
	var stacks string
	for range 100 {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "(*Segmented).commitLoop") {
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stacks
}

// newRand returns a seeded generator and logs the seed, so a failure replays with -seed.
func newRand(t testing.TB) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func mustOpen(t testing.TB, dir string, opts Options) *Segmented {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return l
}

func mustAppend(t testing.TB, l *Segmented, rec []byte) uint64 {
	t.Helper()
	seq, err := l.Append(rec)
	if err != nil {
		t.Fatalf("Append(%d bytes): %v", len(rec), err)
	}
	return seq
}

func mustClose(t testing.TB, l *Segmented) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

type record struct {
	seq uint64
	rec []byte
}

// readAll returns the records from `from` on, checking that they come in order with
// contiguous sequence numbers.
func readAll(t testing.TB, l *Segmented, from uint64) []record {
	t.Helper()
	var out []record
	err := l.ReadFrom(from, func(seq uint64, rec []byte) error {
		want := max(from, 1)
		if len(out) > 0 {
			want = out[len(out)-1].seq + 1
		}
		if seq != want {
			return fmt.Errorf("got record %d, want %d", seq, want)
		}
		out = append(out, record{seq, bytes.Clone(rec)})
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFrom(%d): %v", from, err)
	}
	return out
}

// randRecord is a record of random content whose length is drawn from a mix of sizes.
func randRecord(r *rand.Rand, big int) []byte {
	var n int
	switch r.IntN(10) {
	case 0:
		n = 0
	case 1:
		n = big + r.IntN(big) // larger than a small segment
	default:
		n = 1 + r.IntN(200)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func segmentFiles(t testing.TB, fsys FS, dir string) []string {
	t.Helper()
	names, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir(%s): %v", dir, err)
	}
	var segs []string
	for _, n := range names {
		if _, ok := parseSegmentName(n); ok {
			segs = append(segs, n)
		}
	}
	return segs
}

var errInjected = errors.New("injected fault")
