package journal

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// CrashFS is an in-memory FS that models what survives a power loss, so tests can check
// that every acknowledged write was really made durable — which a kill -9 test cannot see,
// since the kernel keeps unsynced data across a process crash.
//
// Each file has a durable content (as of its last Sync) and a volatile one (what reads
// see). Each directory has a durable set of entries (as of its last SyncDir) and a volatile
// one. Crash throws the volatile state away: a file reverts to its content at its last
// Sync, a create or rename not followed by SyncDir of its directory is undone, and a
// remove not followed by SyncDir is undone too. Handles opened before Crash fail from then
// on, as the process that held them is gone; the FS itself is usable again, as after a
// reboot.
//
// What it does not model: directories themselves are durable as soon as MkdirAll makes
// them; renames across directories are durable once the target directory is synced; there
// are no hard links and no directory renames.
//
// A CrashFS is safe for concurrent use; one mutex guards all of it.
type CrashFS struct {
	mu      sync.Mutex
	dirs    map[string]bool
	live    map[string]*inode // the namespace as the running system sees it
	durable map[string]*inode // the namespace a crash keeps
	epoch   int               // bumped by Crash; handles of older epochs are dead
	off     bool              // PowerOff was called: every operation fails until Crash
	fault   func(op Op, name string) error
	page    int // the unit in which CrashPartial persists unsynced data
}

type inode struct {
	data   []byte // what reads see
	synced []byte // what a crash keeps
	// dirtyFrom is the lowest offset changed since the last Sync; data[:dirtyFrom] equals
	// synced[:dirtyFrom]. CrashPartial uses it to tell an append from an overwrite.
	dirtyFrom int
}

// Op names an FS operation, for fault injection.
type Op int

const (
	OpOpen Op = iota + 1
	OpWrite
	OpSync
	OpTruncate
	OpRemove
	OpRename
	OpSyncDir
)

var opNames = [...]string{"", "open", "write", "sync", "truncate", "remove", "rename", "syncdir"}

func (o Op) String() string {
	if o > 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "unknown"
}

// errCrashed is what a handle opened before a Crash returns, and every call after PowerOff.
var errCrashed = errors.New("file handle did not survive the crash")

// NewCrashFS returns an empty CrashFS.
func NewCrashFS() *CrashFS {
	return &CrashFS{
		dirs:    map[string]bool{},
		live:    map[string]*inode{},
		durable: map[string]*inode{},
		page:    DefaultPageSize,
	}
}

// DefaultPageSize is the page size of a new CrashFS.
const DefaultPageSize = 4096

// SetPageSize sets the unit in which CrashPartial persists unsynced data: the disk writes
// whole pages, n bytes long and aligned to multiples of n in the file, in any order. A
// disk with 512-byte sectors can tear at every 512 bytes. n <= 0 restores DefaultPageSize.
func (c *CrashFS) SetPageSize(n int) {
	if n <= 0 {
		n = DefaultPageSize
	}
	c.mu.Lock()
	c.page = n
	c.mu.Unlock()
}

// SetFault installs f, which is called before every OpenFile, Write, Sync, Truncate,
// Remove, Rename and SyncDir (with the file or directory name; a handle's name is the one
// it was opened by) and can make it fail by returning an error; the operation then has no
// effect. f may sleep, to model a slow disk. f runs without the FS lock held,
// so it may call the FS. nil removes the hook.
func (c *CrashFS) SetFault(f func(op Op, name string) error) {
	c.mu.Lock()
	c.fault = f
	c.mu.Unlock()
}

// FailAfter makes the operation of kind op that follows the next n of that kind fail
// with err, once; the ones after it succeed again. It replaces any SetFault hook.
func (c *CrashFS) FailAfter(op Op, n int, err error) {
	var mu sync.Mutex
	left := n
	c.SetFault(func(o Op, _ string) error {
		if o != op {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		left--
		if left == -1 {
			return err
		}
		return nil
	})
}

// SlowSync makes every file Sync take at least d (timers may round it up to a
// millisecond), like a disk with that flush latency. It replaces any SetFault hook.
func (c *CrashFS) SlowSync(d time.Duration) {
	c.SetFault(func(op Op, _ string) error {
		if op == OpSync {
			time.Sleep(d)
		}
		return nil
	})
}

// Crash simulates a power loss followed by a reboot: every byte and every directory change
// not made durable is lost.
//
// Goroutines of the process that "died" may still be running after Crash, and calls they
// make by path (open, rename, remove, sync of a directory) would reach the rebooted file
// system, which no dead process can do. Where that matters, call PowerOff first, wait for
// them to stop, then Crash.
func (c *CrashFS) Crash() { c.crash(nil) }

// PowerOff makes every operation that could change the disk fail (opens, writes, syncs,
// truncates, renames, removes, directory syncs, by handle or by path) and ReadDir too,
// until the next Crash or CrashPartial: the machine is off, and nothing the running code
// does reaches the disk.
// Data not yet synced is lost at the Crash that follows.
func (c *CrashFS) PowerOff() {
	c.mu.Lock()
	c.off = true
	c.mu.Unlock()
}

// CrashPartial is Crash on a disk that wrote some of the unsynced data before it lost
// power, in no particular order. For a file that was only appended to since its last
// Sync, the size that reached the disk is anywhere from the synced size to the current
// one, and of the pages (see SetPageSize) holding appended bytes below that size, r picks
// which were written: all of them, a prefix of them (the size reached the disk before the
// data did), or any subset (the disk reordered its writes: a later page of a write made it
// and an earlier one did not). A page that was not written reads as zeros from the end of
// the synced data on; the synced bytes in it are kept either way. A file that was
// overwritten since its last Sync keeps only what was synced. Recovery must cope with
// every such torn tail.
func (c *CrashFS) CrashPartial(r *rand.Rand) { c.crash(r) }

func (c *CrashFS) crash(r *rand.Rand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.off = false
	c.live = make(map[string]*inode, len(c.durable))
	for name, ino := range c.durable {
		c.live[name] = ino
		kept := ino.synced
		if extra := len(ino.data) - len(ino.synced); r != nil && extra > 0 && ino.dirtyFrom == len(ino.synced) {
			kept = tornAppend(r, ino.synced, ino.data[:len(ino.synced)+r.IntN(extra+1)], c.page)
		}
		ino.data = append([]byte(nil), kept...)
		ino.synced = kept
		ino.dirtyFrom = len(kept)
	}
}

// tornAppend returns a copy of data, which extends synced, in which some of the pages
// holding bytes past len(synced) read as zeros from len(synced) on.
func tornAppend(r *rand.Rand, synced, data []byte, page int) []byte {
	kept := append([]byte(nil), data...)
	from := len(synced)
	first, end := from/page, (len(data)+page-1)/page // the pages touched, [first, end)
	if first >= end {
		return kept
	}
	mode, cut := r.IntN(3), first+r.IntN(end-first+1)
	for p := first; p < end; p++ {
		written := true
		switch mode {
		case 1: // in order, but stopped short
			written = p < cut
		case 2: // out of order
			written = r.IntN(2) == 0
		}
		if !written {
			clear(kept[max(from, p*page):min(len(kept), (p+1)*page)])
		}
	}
	return kept
}

// ReadFile returns the current (volatile) content of name.
func (c *CrashFS) ReadFile(name string) ([]byte, error) {
	name = filepath.Clean(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	ino := c.live[name]
	if ino == nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), ino.data...), nil
}

// WriteFile replaces the content of name, durably: as if written, fsynced and its
// directory fsynced. Tests use it to plant damaged files.
func (c *CrashFS) WriteFile(name string, data []byte) error {
	name = filepath.Clean(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasDir(filepath.Dir(name)) {
		return &fs.PathError{Op: "write", Path: name, Err: fs.ErrNotExist}
	}
	ino := c.live[name]
	if ino == nil {
		ino = &inode{}
		c.live[name] = ino
	}
	c.durable[name] = ino
	ino.data = append([]byte(nil), data...)
	ino.synced = append([]byte(nil), data...)
	ino.dirtyFrom = len(data)
	return nil
}

func (c *CrashFS) inject(op Op, name string) error {
	c.mu.Lock()
	f, off := c.fault, c.off
	c.mu.Unlock()
	if off {
		return errCrashed // every operation that changes anything comes here first
	}
	if f == nil {
		return nil
	}
	return f(op, name)
}

func (c *CrashFS) hasDir(d string) bool {
	return d == "." || d == filepath.Dir(d) || c.dirs[d]
}

func (c *CrashFS) MkdirAll(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := filepath.Clean(dir); !c.hasDir(d); d = filepath.Dir(d) {
		if c.live[d] != nil {
			return &fs.PathError{Op: "mkdir", Path: d, Err: errors.New("not a directory")}
		}
		c.dirs[d] = true
	}
	return nil
}

func (c *CrashFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	name = filepath.Clean(name)
	if err := c.inject(OpOpen, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasDir(filepath.Dir(name)) || c.dirs[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	ino := c.live[name]
	switch {
	case ino == nil && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case ino == nil:
		ino = &inode{}
		c.live[name] = ino
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case flag&os.O_TRUNC != 0:
		ino.truncate(0)
	}
	return &crashFile{fs: c, ino: ino, name: name, flag: flag, epoch: c.epoch}, nil
}

func (c *CrashFS) Remove(name string) error {
	name = filepath.Clean(name)
	if err := c.inject(OpRemove, name); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live[name] != nil {
		delete(c.live, name)
		return nil
	}
	if !c.dirs[name] {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if len(c.children(name)) > 0 {
		return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
	}
	delete(c.dirs, name)
	return nil
}

func (c *CrashFS) Rename(oldpath, newpath string) error {
	oldpath, newpath = filepath.Clean(oldpath), filepath.Clean(newpath)
	if err := c.inject(OpRename, newpath); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ino := c.live[oldpath]
	switch {
	case ino == nil:
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrNotExist}
	case !c.hasDir(filepath.Dir(newpath)) || c.dirs[newpath]:
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrInvalid}
	}
	delete(c.live, oldpath)
	c.live[newpath] = ino
	return nil
}

func (c *CrashFS) ReadDir(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.off:
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: errCrashed}
	case !c.hasDir(dir):
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	names := c.children(dir)
	sort.Strings(names)
	return names, nil
}

// children lists the base names of the live entries of dir. c.mu must be held.
func (c *CrashFS) children(dir string) []string {
	var names []string
	for name := range c.live {
		if filepath.Dir(name) == dir {
			names = append(names, filepath.Base(name))
		}
	}
	for d := range c.dirs {
		if d != dir && filepath.Dir(d) == dir {
			names = append(names, filepath.Base(d))
		}
	}
	return names
}

func (c *CrashFS) SyncDir(dir string) error {
	dir = filepath.Clean(dir)
	if err := c.inject(OpSyncDir, dir); err != nil {
		return &fs.PathError{Op: "sync", Path: dir, Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasDir(dir) {
		return &fs.PathError{Op: "sync", Path: dir, Err: fs.ErrNotExist}
	}
	for name := range c.durable {
		if filepath.Dir(name) == dir && c.live[name] == nil {
			delete(c.durable, name)
		}
	}
	for name, ino := range c.live {
		if filepath.Dir(name) == dir {
			c.durable[name] = ino
		}
	}
	return nil
}

// truncate sets the volatile size. The FS lock must be held.
func (ino *inode) truncate(size int) {
	ino.dirtyFrom = min(ino.dirtyFrom, size, len(ino.data))
	if size <= len(ino.data) {
		ino.data = ino.data[:size]
		return
	}
	ino.data = append(ino.data, make([]byte, size-len(ino.data))...)
}

// crashFile is a handle. Its offset is guarded by the FS lock, like everything else.
type crashFile struct {
	fs     *CrashFS
	ino    *inode
	name   string
	flag   int
	off    int64
	epoch  int
	closed bool
}

// access values for check.
const (
	anyAccess = iota
	readAccess
	writeAccess
)

// check returns why the handle cannot be used for an operation needing access; the FS
// lock must be held.
func (f *crashFile) check(op string, access int) error {
	var err error
	switch {
	case f.closed:
		err = os.ErrClosed
	case f.epoch != f.fs.epoch:
		err = errCrashed
	case access == writeAccess && f.flag&(os.O_WRONLY|os.O_RDWR) == 0,
		access == readAccess && f.flag&os.O_WRONLY != 0:
		err = errors.New("bad file descriptor")
	default:
		return nil
	}
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

func (f *crashFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read", readAccess); err != nil {
		return 0, err
	}
	if f.off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[f.off:])
	f.off += int64(n)
	return n, nil
}

func (f *crashFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read", readAccess); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *crashFile) Write(p []byte) (int, error) {
	if err := f.fs.inject(OpWrite, f.name); err != nil {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: err}
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("write", writeAccess); err != nil {
		return 0, err
	}
	ino := f.ino
	if f.flag&os.O_APPEND != 0 {
		f.off = int64(len(ino.data))
	}
	end := int(f.off) + len(p)
	if end > len(ino.data) {
		ino.truncate(end)
	}
	ino.dirtyFrom = min(ino.dirtyFrom, int(f.off))
	copy(ino.data[f.off:], p)
	f.off = int64(end)
	return len(p), nil
}

func (f *crashFile) Sync() error {
	if err := f.fs.inject(OpSync, f.name); err != nil {
		return &fs.PathError{Op: "sync", Path: f.name, Err: err}
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("sync", anyAccess); err != nil {
		return err
	}
	ino := f.ino
	if ino.dirtyFrom == len(ino.synced) && len(ino.data) >= len(ino.synced) {
		// Only appended to: extend synced rather than copy the whole file on every
		// sync. synced never shares an array with data, so data's later writes
		// cannot reach it.
		ino.synced = append(ino.synced, ino.data[len(ino.synced):]...)
	} else {
		ino.synced = append([]byte(nil), ino.data...)
	}
	ino.dirtyFrom = len(ino.synced)
	return nil
}

func (f *crashFile) Truncate(size int64) error {
	if err := f.fs.inject(OpTruncate, f.name); err != nil {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: err}
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("truncate", writeAccess); err != nil {
		return err
	}
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	f.ino.truncate(int(size))
	return nil
}

func (f *crashFile) Stat() (fs.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("stat", anyAccess); err != nil {
		return nil, err
	}
	return fileInfo{name: filepath.Base(f.name), size: int64(len(f.ino.data))}, nil
}

func (f *crashFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	f.closed = true
	return nil
}

type fileInfo struct {
	name string
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o644 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }
