package catalogs_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/fitment/fitment/catalogs"
	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// week writes the sources of a small catalog, week n of its life (each week renames a
// part and adds one), builds it and writes its snapshot to dir/week<n>.snap.
func week(t *testing.T, dir string, n int) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), fmt.Sprint(n))
	parts := "part_number,brand,name\nEBC-1,EBC,Brake pads week " + fmt.Sprint(n) + "\nKN-1,K&N,Air filter\n"
	fits := "part_number,make,model,submodel,years\nEBC-1,Yamaha,YFZ450R,,2019\nKN-1,Yamaha,YFZ450R,,2019\n"
	for i := 1; i <= n; i++ {
		parts += fmt.Sprintf("NEW-%d,EBC,New part %d\n", i, i)
		fits += fmt.Sprintf("NEW-%d,Yamaha,YFZ450R,,2019\n", i)
	}
	files := map[string]string{
		"vehicles.csv": "type,make,model,submodel,years\natv,Yamaha,YFZ450R,,2019\n",
		"parts.csv":    parts, "fitments.csv": fits,
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, _, err := ingest.Build(src, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("week%d.snap", n))
	if _, err := snapshot.Write(path, cat); err != nil {
		t.Fatal(err)
	}
	return path
}

func version(t *testing.T, path string) string {
	t.Helper()
	info, err := snapshot.ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Version()
}

func newManager(dir string, keep bool) (*engine.Engine, *catalogs.Manager) {
	eng := engine.New()
	return eng, catalogs.New(eng, catalogs.Options{Dir: dir, KeepPrevious: keep, Logger: slog.New(slog.DiscardHandler)})
}

func TestSwapRollbackAndRestart(t *testing.T) {
	defer goleak.VerifyNone(t)
	files, data := t.TempDir(), t.TempDir()
	w1, w2, w3 := week(t, files, 1), week(t, files, 2), week(t, files, 3)
	eng, m := newManager(data, true)
	defer m.Close()
	if _, err := m.Start(w1); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Update("t", engine.Change{Subscribe: []string{"EBC"}}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := m.Swap(w2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != version(t, w2) || r.PreviousVersion != version(t, w1) || !r.PreviousKept || r.Tenants != 1 {
		t.Errorf("swap report %+v", r)
	}
	v, _ := eng.View("t")
	if _, err := v.Part("NEW-2", ""); err != nil {
		t.Errorf("week 2's new part of a subscribed brand: %v", err)
	}
	st := m.Status()
	if st.Current.Version != version(t, w2) || st.Previous.Version != version(t, w1) || !st.PreviousResident || st.LastSwap == nil {
		t.Errorf("status %+v", st)
	}
	if _, err := m.Swap(w2); !errors.Is(err, catalogs.ErrUnchanged) {
		t.Errorf("swap to the served version: %v, want ErrUnchanged", err)
	}
	back, err := m.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != version(t, w1) || !back.Rollback || back.Derived != 0 {
		t.Errorf("rollback report %+v: want week 1, nothing derived (it was kept)", back)
	}
	// A swap to the file of the resident previous catalog is a rollback: no third catalog.
	fwd, err := m.Swap(w2)
	if err != nil || !fwd.Rollback || fwd.Version != version(t, w2) || fwd.Derived != 0 {
		t.Errorf("swap to the resident previous: %+v, %v; want a rollback to week 2", fwd, err)
	}
	if _, err := m.Swap(w3); err != nil {
		t.Fatal(err)
	}

	// A restart with the same --snapshot serves what was swapped in; its previous one
	// is known but not resident, so a rollback reloads its file.
	eng2, m2 := newManager(data, true)
	defer m2.Close()
	if path, err := m2.Start(w1); err != nil || path != w3 {
		t.Fatalf("restart: serving %s, %v; want %s", path, err, w3)
	}
	if eng2.Version() != version(t, w3) {
		t.Errorf("restart: engine at %s", eng2.Version())
	}
	r2, err := m2.Rollback()
	if err != nil || r2.Version != version(t, w2) || eng2.Version() != version(t, w2) {
		t.Errorf("rollback after a restart: %+v, %v", r2, err)
	}
	// A deployment with another --snapshot starts from it.
	eng3, m3 := newManager(data, false)
	defer m3.Close()
	if path, err := m3.Start(w2); err != nil || path != w2 || eng3.Version() != version(t, w2) {
		t.Errorf("new --snapshot: serving %s, %v", path, err)
	}
	if _, err := m3.Rollback(); !errors.Is(err, engine.ErrNoPrevious) {
		t.Errorf("rollback with no previous: %v", err)
	}
}

// TestRefuseBadSnapshots: a file that cannot be served is refused with a message naming
// the problem, and the serving catalog stays.
func TestRefuseBadSnapshots(t *testing.T) {
	files := t.TempDir()
	w1, w2 := week(t, files, 1), week(t, files, 2)
	good, err := os.ReadFile(w2)
	if err != nil {
		t.Fatal(err)
	}
	eng, m := newManager(t.TempDir(), true)
	defer m.Close()
	if _, err := m.Start(w1); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A flipped bit in a compressed section (after a zstd frame's magic number).
	flipped := append([]byte(nil), good...)
	at := bytes.Index(flipped, []byte{0x28, 0xb5, 0x2f, 0xfd})
	if at < 0 {
		t.Fatal("no zstd frame in the snapshot")
	}
	flipped[at+12] ^= 0x40
	cases := []struct{ name, path, want string }{
		{"missing", filepath.Join(files, "nope.snap"), "no such file"},
		{"empty", write("empty.snap", nil), "empty file"},
		{"truncated", write("truncated.snap", good[:len(good)/3]), "truncated"},
		{"not a snapshot", write("text.snap", []byte(strings.Repeat("not bbolt ", 1000))), "invalid database"},
		{"a flipped byte", write("flipped.snap", flipped), "CRC check failed"},
	}
	for _, c := range cases {
		_, err := m.Swap(c.path)
		if !errors.Is(err, catalogs.ErrBadSnapshot) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want ErrBadSnapshot mentioning %q", c.name, err, c.want)
		}
		if eng.Version() != version(t, w1) {
			t.Fatalf("%s: engine at %s after a refused swap", c.name, eng.Version())
		}
		t.Logf("%s: %v", c.name, err)
	}
	if _, err := m.Swap(w2); err != nil {
		t.Errorf("the good file after the bad ones: %v", err)
	}
	// A file refused only once read (the content fails its checksum) dropped the resident
	// previous catalog (at most two in memory), not the rollback: it reloads the file.
	w3, err := os.ReadFile(week(t, files, 3))
	if err != nil {
		t.Fatal(err)
	}
	w3[bytes.Index(w3, []byte{0x28, 0xb5, 0x2f, 0xfd})+12] ^= 0x40
	if _, err := m.Swap(write("flipped3.snap", w3)); !errors.Is(err, catalogs.ErrBadSnapshot) {
		t.Fatal(err)
	}
	if eng.HasPrevious() {
		t.Error("the previous catalog is still resident beside the refused file's")
	}
	if r, err := m.Rollback(); err != nil || r.Version != version(t, w1) || eng.Version() != version(t, w1) {
		t.Errorf("rollback after a refused swap: %+v, %v", r, err)
	}
}
