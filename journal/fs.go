package journal

import (
	"io"
	"io/fs"
	"os"
	"sort"
)

// FS is the file system the log (and the tenant layer's checkpoints) use. It is the whole of
// what they need from the operating system, so that CrashFS can stand in for it.
type FS interface {
	MkdirAll(dir string) error
	// OpenFile is os.OpenFile; flag takes the os.O_* constants.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	Remove(name string) error
	Rename(oldpath, newpath string) error
	// ReadDir lists the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// SyncDir fsyncs dir, which makes the creates, renames and removes of its entries
	// durable. Syncing a file does not.
	SyncDir(dir string) error
}

// File is an open file of an FS; *os.File implements it.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync makes the file's content durable (fsync), not its directory entry.
	Sync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
}

// OS is the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) MkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // not f: a nil *os.File in an interface is not a nil File
	}
	return f, nil
}

func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func (osFS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
