package journal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Segmented is a Log kept in segment files in one directory (see FORMAT.md). Records are
// appended to the newest segment, the active one; older segments are immutable until
// Truncate removes them.
//
// Locks, never held across file I/O except where noted:
//   - mu guards the queue of waiting appends and the closed and failed states.
//   - segMu guards segs, the list of segments and their durable sizes. The committer
//     takes it only to publish a batch or a new segment; ReadFrom only to copy the list;
//     Truncate to drop segments from the list before it removes their files.
//   - truncMu serialises Truncate calls, and Close with them; it is held across the
//     removals.
//
// The active file handle, its size and the write buffer belong to the committer goroutine
// alone (and to Open before it starts and Close after it ends).
type Segmented struct {
	fs   FS
	dir  string
	opts Options

	mu      sync.Mutex
	queue   []*request
	closed  bool
	failed  error         // sticky once set; wraps ErrFailed and the cause
	wake    chan struct{} // capacity 1: the queue or the state changed
	stopped chan struct{} // closed when the committer has returned

	segMu sync.RWMutex
	segs  []segment

	first, last atomic.Uint64 // written under segMu, read without it

	truncMu sync.Mutex

	active        File
	activePath    string
	activeSize    int64
	activeVersion uint32
	buf           []byte
	batch         []*request

	appends, batches, syncs, bytes, torn atomic.Uint64
}

type segment struct {
	base    uint64 // seq of its first record
	size    int64  // header plus the whole batches known durable
	version uint32 // its format version; only the newest may differ from FormatVersion
}

// request is one waiting Append. rec is read by the committer only while the appender is
// blocked on done, so it needs no copy.
type request struct {
	rec  []byte
	done chan result // capacity 1
}

type result struct {
	seq uint64
	err error
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan result, 1)} }}

// Open opens the log in dir, creating dir and an empty log if needed, and recovers it:
// a torn batch at the end of the newest segment is cut off, and anything else that does not
// check out is an error wrapping ErrCorrupt (see FORMAT.md for the rules). The log's
// committer goroutine runs until Close.
func Open(dir string, opts Options) (*Segmented, error) {
	opts = opts.withDefaults()
	l := &Segmented{
		fs:      opts.FS,
		dir:     dir,
		opts:    opts,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	if err := l.openSegments(); err != nil {
		if l.active != nil {
			l.active.Close()
		}
		return nil, err
	}
	go l.commitLoop()
	return l, nil
}

func (l *Segmented) path(base uint64) string { return filepath.Join(l.dir, segmentName(base)) }

func corrupt(path string, off int64, why string) error {
	return fmt.Errorf("%w: %s offset %d: %s", ErrCorrupt, path, off, why)
}

// openSegments finds, checks and recovers the segments in l.dir, or starts a fresh log.
func (l *Segmented) openSegments() error {
	names, err := l.fs.ReadDir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := l.fs.MkdirAll(l.dir); err != nil {
			return err
		}
		// Without this the new directory itself, and every record in it, could vanish.
		if err := l.fs.SyncDir(filepath.Dir(l.dir)); err != nil {
			return err
		}
		l.syncs.Add(1)
	} else if err != nil {
		return err
	}
	var bases []uint64
	for _, name := range names {
		if strings.HasSuffix(name, segmentSuffix+tmpSuffix) {
			// A segment whose creation did not finish: it never held a record.
			if err := l.fs.Remove(filepath.Join(l.dir, name)); err != nil {
				return err
			}
			continue
		}
		if base, ok := parseSegmentName(name); ok {
			bases = append(bases, base)
		}
	}
	if len(bases) == 0 {
		return l.startSegment(1)
	}
	slices.Sort(bases)

	next := bases[0]
	for i, base := range bases {
		path := l.path(base)
		if base != next {
			return corrupt(path, 0, fmt.Sprintf("segment starts at record %d, want %d", base, next))
		}
		newest := i == len(bases)-1
		flag := os.O_RDONLY
		if newest {
			flag = os.O_RDWR | os.O_APPEND
		}
		f, err := l.fs.OpenFile(path, flag, 0)
		if err != nil {
			return err
		}
		seg, after, err := l.scan(f, path, base, newest)
		if !newest || err != nil {
			f.Close()
		}
		if err != nil {
			return err
		}
		l.segs = append(l.segs, seg)
		next = after
		if newest {
			// A newest segment of an older version is not written to: the next batch
			// starts a new segment (see commit).
			l.active, l.activePath, l.activeSize, l.activeVersion = f, path, seg.size, seg.version
		}
	}
	l.first.Store(bases[0])
	l.last.Store(next - 1)
	return nil
}

// scan checks one segment and returns it (with the size up to its last complete batch)
// and the seq that follows its last record. In the newest segment (f opened for writing) a
// torn batch at the end is cut off; anything else that does not check out is ErrCorrupt.
func (l *Segmented) scan(f File, path string, base uint64, newest bool) (seg segment, next uint64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return seg, 0, err
	}
	size := fi.Size()
	var h [headerSize]byte
	n, err := f.ReadAt(h[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return seg, 0, err
	}
	// The header is fsynced under a temporary name before the segment gets its own, so
	// even the newest segment cannot have a torn one.
	version, why := checkHeader(h[:n], base)
	if why != "" {
		return seg, 0, corrupt(path, 0, why)
	}
	fr := newFrameReader(f, size, version)
	// end and torn: the offset after the last record of the last complete batch, and the
	// seq that follows it, the first of the batch being read. In a v1 segment every
	// record counts as a complete batch.
	end, torn := int64(headerSize), base
	next = base
	var index uint32 // the index the next record must have in its batch
	var off int64    // where the damage is
	for {
		off = fr.off
		fm, err := fr.next(false)
		if err == io.EOF {
			if end == size {
				return segment{base: base, size: size, version: version}, next, nil
			}
			// Whole records, but the batch's last one is missing: torn after a record.
			off, why = size, fmt.Sprintf("the batch from record %d has no last record", torn)
			break
		}
		var bad *errBadFrame
		if errors.As(err, &bad) {
			why = bad.why
			break
		}
		if err != nil {
			return seg, 0, fmt.Errorf("read %s: %w", path, err)
		}
		if fm.seq != next {
			why = fmt.Sprintf("record %d where %d belongs", fm.seq, next)
			if version == 1 {
				return seg, 0, corrupt(path, off, why)
			}
			break
		}
		if fm.index != index {
			why = fmt.Sprintf("record %d is number %d of its batch, want %d", fm.seq, fm.index, index)
			break
		}
		next, index = next+1, index+1
		if fm.last {
			end, torn, index = fr.off, next, 0
		}
	}
	if !newest {
		// Older segments were complete and durable before the next one was created.
		if off == size {
			off = end
		}
		return seg, 0, corrupt(path, off, why)
	}
	if off < size {
		// Damage in the newest segment is a torn, unacknowledged batch only if no later
		// batch follows it: a batch is written only once the one before it is durable,
		// so a later one beyond the damage means a durable batch was damaged.
		// The search starts past the damaged record's first byte: a record that is
		// well-framed but out of sequence is damage, not evidence.
		rest := make([]byte, size-off-1)
		if _, err := f.ReadAt(rest, off+1); err != nil && !errors.Is(err, io.EOF) {
			return seg, 0, fmt.Errorf("read %s: %w", path, err)
		}
		if version == 1 {
			// No batches in v1: any valid record after the damage may be an acknowledged
			// one.
			if p := findFrameV1(rest, next); p >= 0 {
				return seg, 0, corrupt(path, off, fmt.Sprintf("%s, and a valid record follows at offset %d", why, off+1+int64(p)))
			}
		} else {
			// Records from end on are at least a header long each.
			maxSeq := torn + uint64(size-end)/frameHeaderSize
			if p, seq := findLaterBatch(rest, torn, maxSeq); p >= 0 {
				return seg, 0, corrupt(path, off, fmt.Sprintf("%s, and record %d of a later batch follows at offset %d", why, seq, off+1+int64(p)))
			}
		}
	}
	if err := f.Truncate(end); err != nil {
		return seg, 0, err
	}
	if err := f.Sync(); err != nil {
		return seg, 0, err
	}
	l.syncs.Add(1)
	l.torn.Add(uint64(size - end))
	return segment{base: base, size: end, version: version}, torn, nil
}

// startSegment makes base the first record of a new, empty active segment. The segment is
// complete (header written and fsynced) before it gets its name, and the name is durable
// (directory fsynced) before any record is written to it, so a crash leaves either no
// segment or a valid empty one. If the active segment is an empty one of an older format
// version, it has the same name and the rename replaces it: a crash leaves one or the
// other.
func (l *Segmented) startSegment(base uint64) error {
	path := l.path(base)
	tmp := path + tmpSuffix
	f, err := l.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	err = func() error {
		if _, err := f.Write(appendHeader(nil, base)); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		l.syncs.Add(1)
		if err := l.fs.Rename(tmp, path); err != nil {
			return err
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return err
		}
		l.syncs.Add(1)
		return nil
	}()
	if err != nil {
		f.Close()
		return err
	}
	if l.active != nil {
		// Every record in it is already synced; a close error cannot lose any.
		l.active.Close()
	}
	l.active, l.activePath, l.activeSize, l.activeVersion = f, path, headerSize, FormatVersion
	seg := segment{base: base, size: headerSize, version: FormatVersion}
	l.segMu.Lock()
	if k := len(l.segs) - 1; k >= 0 && l.segs[k].base == base {
		l.segs[k] = seg // it replaced an empty segment of an older version
	} else {
		l.segs = append(l.segs, seg)
	}
	if len(l.segs) == 1 {
		l.first.Store(base)
	}
	l.segMu.Unlock()
	return nil
}

// Append implements Log.
func (l *Segmented) Append(rec []byte) (uint64, error) {
	if len(rec) > MaxRecordBytes {
		return 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(rec))
	}
	r := requestPool.Get().(*request)
	r.rec = rec
	l.mu.Lock()
	if err := l.refusal(); err != nil {
		l.mu.Unlock()
		r.rec = nil
		requestPool.Put(r)
		return 0, err
	}
	l.queue = append(l.queue, r)
	l.mu.Unlock()
	l.signal()
	res := <-r.done
	r.rec = nil
	requestPool.Put(r)
	return res.seq, res.err
}

// refusal is why the log takes no more appends, or nil; l.mu must be held.
func (l *Segmented) refusal() error {
	if l.closed {
		return ErrClosed
	}
	return l.failed
}

func (l *Segmented) signal() {
	select {
	case l.wake <- struct{}{}:
	default: // a wake-up is already pending; the committer rereads everything after it
	}
}

func (l *Segmented) commitLoop() {
	defer close(l.stopped)
	for range l.wake {
		for {
			batch, failed, closing := l.take()
			if len(batch) == 0 {
				if closing {
					return
				}
				break
			}
			err := failed
			var first uint64
			if err == nil {
				if first, err = l.commit(batch); err != nil {
					err = l.fail(err)
				}
			}
			for i, r := range batch {
				if err != nil {
					r.done <- result{err: err}
				} else {
					r.done <- result{seq: first + uint64(i)}
				}
			}
			clear(batch) // let the callers' buffers go
		}
	}
}

// take dequeues the next batch: everything waiting, up to MaxBatchBytes, at least one.
func (l *Segmented) take() (batch []*request, failed error, closing bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return nil, nil, l.closed
	}
	n, size := 0, 0
	for n < len(l.queue) {
		s := frameSize(l.queue[n].rec)
		if n > 0 && (size+s > l.opts.MaxBatchBytes || uint64(n) >= maxBatchRecords) {
			break
		}
		size += s
		n++
	}
	l.batch = append(l.batch[:0], l.queue[:n]...)
	k := copy(l.queue, l.queue[n:])
	clear(l.queue[k:])
	l.queue = l.queue[:k]
	return l.batch, l.failed, false
}

// commit writes batch with one write and one fsync and publishes it; it returns the seq of
// its first record. The batch's last frame is marked so, which is how recovery tells a
// batch torn by a crash from a complete one.
func (l *Segmented) commit(batch []*request) (uint64, error) {
	if l.activeVersion != FormatVersion || l.activeSize >= l.opts.SegmentBytes && l.activeSize > headerSize {
		if err := l.startSegment(l.last.Load() + 1); err != nil {
			return 0, fmt.Errorf("new segment: %w", err)
		}
	}
	first := l.last.Load() + 1
	buf := l.buf[:0]
	for i, r := range batch {
		buf = appendFrame(buf, first+uint64(i), uint32(i), i == len(batch)-1, r.rec)
	}
	// Errors name activePath: the handle of a segment made by rotation still carries
	// its temporary name.
	if _, err := l.active.Write(buf); err != nil {
		return 0, fmt.Errorf("%s: %w", l.activePath, err)
	}
	// Never retried: after a failed fsync the kernel may have dropped the dirty pages
	// and a second fsync can succeed without them.
	if err := l.active.Sync(); err != nil {
		return 0, fmt.Errorf("%s: %w", l.activePath, err)
	}
	l.activeSize += int64(len(buf))
	n := uint64(len(batch))
	l.segMu.Lock()
	l.segs[len(l.segs)-1].size = l.activeSize
	l.last.Store(first + n - 1)
	l.segMu.Unlock()

	l.appends.Add(n)
	l.batches.Add(1)
	l.syncs.Add(1)
	l.bytes.Add(uint64(len(buf)))
	if cap(buf) <= 2*l.opts.MaxBatchBytes { // don't keep the buffer of one huge record
		l.buf = buf
	}
	return first, nil
}

func (l *Segmented) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed == nil {
		l.failed = fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return l.failed
}

// ReadFrom implements Log.
func (l *Segmented) ReadFrom(from uint64, fn func(seq uint64, rec []byte) error) error {
	if from == 0 {
		from = 1
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	l.segMu.RLock()
	last, first := l.last.Load(), l.segs[0].base
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > from }) - 1
	segs := append([]segment(nil), l.segs[max(i, 0):]...)
	l.segMu.RUnlock()

	if from < first {
		return fmt.Errorf("%w: asked from record %d, the oldest held is %d", ErrTruncated, from, first)
	}
	if from > last {
		return nil
	}
	for _, s := range segs {
		if s.base > last { // the empty active segment
			break
		}
		if err := l.readSegment(s, from, last, fn); err != nil {
			return err
		}
	}
	return nil
}

func (l *Segmented) readSegment(s segment, from, last uint64, fn func(uint64, []byte) error) error {
	path := l.path(s.base)
	f, err := l.fs.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s was removed while being read", ErrTruncated, path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fr := newFrameReader(f, s.size, s.version)
	for want := s.base; want <= last; want++ {
		off := fr.off
		fm, err := fr.next(want < from)
		seq, rec := fm.seq, fm.rec
		var bad *errBadFrame
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &bad):
			return corrupt(path, off, bad.why)
		case err != nil:
			return fmt.Errorf("read %s: %w", path, err)
		case seq != want:
			return corrupt(path, off, fmt.Sprintf("record %d where %d belongs", seq, want))
		case seq < from:
			continue
		}
		if err := fn(seq, rec); err != nil {
			return err
		}
	}
	return nil
}

// First implements Log.
func (l *Segmented) First() uint64 { return l.first.Load() }

// Last implements Log.
func (l *Segmented) Last() uint64 { return l.last.Load() }

// Truncate implements Log.
func (l *Segmented) Truncate(upTo uint64) error {
	l.truncMu.Lock()
	defer l.truncMu.Unlock()
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	for {
		l.segMu.Lock()
		if len(l.segs) < 2 || l.segs[1].base-1 > upTo {
			l.segMu.Unlock()
			return nil
		}
		// Out of the list first, so that no reader starts on it; one already reading it
		// keeps its open handle.
		base := l.segs[0].base
		l.segs = append(l.segs[:0:0], l.segs[1:]...)
		l.first.Store(l.segs[0].base)
		l.segMu.Unlock()

		if err := l.fs.Remove(l.path(base)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("truncate: %w", err)
		}
		// One directory fsync per segment, oldest first: a crash in between leaves a
		// shorter log, never one with a hole in it, which Open would call corrupt.
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("truncate: %w", err)
		}
		l.syncs.Add(1)
	}
}

// Close implements Log. Appends already waiting are committed first.
func (l *Segmented) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.signal()
	<-l.stopped
	l.truncMu.Lock() // an in-flight Truncate finishes first
	defer l.truncMu.Unlock()
	return l.active.Close()
}

// Stats returns the counters since Open.
func (l *Segmented) Stats() Stats {
	return Stats{
		Appends:   l.appends.Load(),
		Batches:   l.batches.Load(),
		Syncs:     l.syncs.Load(),
		Bytes:     l.bytes.Load(),
		TornBytes: l.torn.Load(),
	}
}
