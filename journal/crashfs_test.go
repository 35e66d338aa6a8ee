package journal

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"testing"
)

// CrashFS keeps across Crash exactly what was made durable.
func TestCrashFS(t *testing.T) {
	write := func(t *testing.T, c *CrashFS, name, s string, sync bool) File {
		t.Helper()
		f, err := c.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		if sync {
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	content := func(c *CrashFS, name string) string {
		data, err := c.ReadFile(name)
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(data)
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, c *CrashFS)
		want map[string]string // file → content after the crash
	}{
		{"unsynced create is lost", func(t *testing.T, c *CrashFS) {
			write(t, c, "d/a", "x", true)
		}, map[string]string{"d/a": "<read d/a: file does not exist>"}},
		{"synced file and dir survive", func(t *testing.T, c *CrashFS) {
			write(t, c, "d/a", "x", true)
			c.SyncDir("d")
		}, map[string]string{"d/a": "x"}},
		{"unsynced bytes are lost", func(t *testing.T, c *CrashFS) {
			f := write(t, c, "d/a", "x", true)
			c.SyncDir("d")
			f.Write([]byte("yz"))
		}, map[string]string{"d/a": "x"}},
		{"dir sync does not sync data", func(t *testing.T, c *CrashFS) {
			write(t, c, "d/a", "x", false)
			c.SyncDir("d")
		}, map[string]string{"d/a": ""}},
		{"truncate after sync is undone", func(t *testing.T, c *CrashFS) {
			f := write(t, c, "d/a", "xyz", true)
			c.SyncDir("d")
			f.Truncate(1)
		}, map[string]string{"d/a": "xyz"}},
		{"unsynced remove comes back", func(t *testing.T, c *CrashFS) {
			write(t, c, "d/a", "x", true)
			c.SyncDir("d")
			c.Remove("d/a")
		}, map[string]string{"d/a": "x"}},
		{"synced remove stays", func(t *testing.T, c *CrashFS) {
			write(t, c, "d/a", "x", true)
			c.SyncDir("d")
			c.Remove("d/a")
			c.SyncDir("d")
		}, map[string]string{"d/a": "<read d/a: file does not exist>"}},
		{"unsynced rename is undone", func(t *testing.T, c *CrashFS) {
			write(t, c, "d/a.tmp", "x", true)
			c.SyncDir("d")
			c.Rename("d/a.tmp", "d/a")
		}, map[string]string{"d/a.tmp": "x", "d/a": "<read d/a: file does not exist>"}},
		{"synced rename stays, content follows the inode", func(t *testing.T, c *CrashFS) {
			f := write(t, c, "d/a.tmp", "x", false)
			c.Rename("d/a.tmp", "d/a")
			c.SyncDir("d")
			f.Write([]byte("y"))
			f.Sync()
		}, map[string]string{"d/a.tmp": "<read d/a.tmp: file does not exist>", "d/a": "xy"}},
		{"sync of another dir does not help", func(t *testing.T, c *CrashFS) {
			c.MkdirAll("e")
			write(t, c, "d/a", "x", true)
			c.SyncDir("e")
		}, map[string]string{"d/a": "<read d/a: file does not exist>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCrashFS()
			if err := c.MkdirAll("d"); err != nil {
				t.Fatal(err)
			}
			tc.run(t, c)
			c.Crash()
			for name, want := range tc.want {
				if got := content(c, name); got != want {
					t.Errorf("%s after crash: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestCrashFSHandles(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("d")
	f, _ := c.OpenFile("d/a", os.O_RDWR|os.O_CREATE, 0o600)
	f.Write([]byte("hello"))
	buf := make([]byte, 3)
	if n, err := f.ReadAt(buf, 3); n != 2 || err != io.EOF || string(buf[:2]) != "lo" {
		t.Errorf("ReadAt past the end: got %d, %v, %q", n, err, buf[:n])
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 5 || fi.Name() != "a" {
		t.Errorf("Stat: got %v, %v", fi, err)
	}
	if _, err := c.OpenFile("d/a", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("O_EXCL on an existing file: got %v", err)
	}
	if _, err := c.OpenFile("nodir/a", os.O_RDWR|os.O_CREATE, 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("create in a missing directory: got %v", err)
	}
	ro, _ := c.OpenFile("d/a", os.O_RDONLY, 0)
	if _, err := ro.Write([]byte("x")); err == nil {
		t.Error("Write on a read-only handle succeeded")
	}
	c.Crash()
	if _, err := f.Write([]byte("x")); !errors.Is(err, errCrashed) {
		t.Errorf("Write on a handle from before the crash: got %v", err)
	}
	if err := f.Sync(); !errors.Is(err, errCrashed) {
		t.Errorf("Sync on a handle from before the crash: got %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close on a handle from before the crash: %v", err)
	}

	c.FailAfter(OpSync, 1, errInjected)
	g, _ := c.OpenFile("d/b", os.O_RDWR|os.O_CREATE, 0o600)
	for i, want := range []error{nil, errInjected, nil} {
		if err := g.Sync(); !errors.Is(err, want) {
			t.Errorf("Sync %d after FailAfter(OpSync, 1): got %v, want %v", i, err, want)
		}
	}
}

// After PowerOff nothing reaches the disk, by handle or by path, until the Crash that
// reboots it.
func TestCrashFSPowerOff(t *testing.T) {
	c := NewCrashFS()
	c.MkdirAll("d")
	f, _ := c.OpenFile("d/a", os.O_RDWR|os.O_CREATE, 0o600)
	f.Write([]byte("synced"))
	f.Sync()
	c.SyncDir("d")
	f.Write([]byte(" lost"))
	c.PowerOff()
	for what, err := range map[string]error{
		"Write":    func() error { _, err := f.Write([]byte("x")); return err }(),
		"Sync":     f.Sync(),
		"OpenFile": func() error { _, err := c.OpenFile("d/b", os.O_RDWR|os.O_CREATE, 0o600); return err }(),
		"Rename":   c.Rename("d/a", "d/c"),
		"Remove":   c.Remove("d/a"),
		"SyncDir":  c.SyncDir("d"),
		"ReadDir":  func() error { _, err := c.ReadDir("d"); return err }(),
	} {
		if !errors.Is(err, errCrashed) {
			t.Errorf("%s after PowerOff: got %v, want the crash error", what, err)
		}
	}
	c.Crash()
	if names, err := c.ReadDir("d"); err != nil || len(names) != 1 || names[0] != "a" {
		t.Errorf("after the reboot: ReadDir got %v, %v; want [a]", names, err)
	}
	if data, _ := c.ReadFile("d/a"); string(data) != "synced" {
		t.Errorf("after the reboot: d/a holds %q, want the synced %q", data, "synced")
	}
	if _, err := c.OpenFile("d/b", os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		t.Errorf("OpenFile after the reboot: %v", err)
	}
}

// CrashPartial keeps, of what was appended since the last sync, some of the pages below
// some size, in any order; the rest reads as zeros. The synced bytes are always kept, even
// in a page that was not written, and nothing of an overwrite is.
func TestCrashPartial(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const synced, appended = "durable|", "appended across pages"
	const page = 5 // the synced data ends inside page 1
	seen := map[string]bool{}
	for range 500 {
		c := NewCrashFS()
		c.SetPageSize(page)
		c.MkdirAll("d")
		f, _ := c.OpenFile("d/a", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
		f.Write([]byte(synced))
		f.Sync()
		c.SyncDir("d")
		f.Write([]byte(appended))
		c.CrashPartial(r)
		data, _ := c.ReadFile("d/a")
		s := string(data)
		if len(s) < len(synced) || s[:len(synced)] != synced || len(s) > len(synced)+len(appended) {
			t.Fatalf("after CrashPartial: %q", s)
		}
		// Each page past the synced data holds the appended bytes or zeros, as a whole.
		var pattern []byte
		for p := len(synced) / page; p*page < len(s); p++ {
			from, to := max(p*page, len(synced)), min((p+1)*page, len(s))
			want := (synced + appended)[from:to]
			switch got := s[from:to]; got {
			case want:
				pattern = append(pattern, 'w')
			case string(make([]byte, to-from)):
				pattern = append(pattern, '0')
			default:
				t.Fatalf("after CrashPartial: page %d is %q, want %q or zeros", p, got, want)
			}
		}
		seen[string(pattern)] = true

		// An overwrite since the last sync: only the synced content survives.
		g, _ := c.OpenFile("d/a", os.O_RDWR, 0o600)
		g.Write([]byte("X")) // at offset 0
		c.CrashPartial(r)
		if after, _ := c.ReadFile("d/a"); string(after) != s {
			t.Fatalf("after an overwrite and CrashPartial: %q, want %q", after, s)
		}
	}
	// In order, short, and out of order: a later page written, an earlier one not.
	for _, want := range []string{"wwwww", "ww000", "0w0w0"} {
		if !seen[want] {
			t.Errorf("CrashPartial never kept pages %s (w: written, 0: zeros); saw %v", want, seen)
		}
	}
}
