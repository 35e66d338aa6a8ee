package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fitment/fitment/catalogs"
	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

// writeFixture builds the fixture catalog, edited by edit (file → content), into a
// snapshot file in dir and returns its path and version.
func writeFixture(t *testing.T, dir, name string, edit func(map[string]string)) (string, string) {
	t.Helper()
	files := map[string]string{}
	for k, v := range fixture {
		files[k] = v
	}
	edit(files)
	src := filepath.Join(t.TempDir(), name)
	os.MkdirAll(src, 0o755)
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(src, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, _, err := ingest.Build(src, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".snap")
	info, err := snapshot.Write(path, cat)
	if err != nil {
		t.Fatal(err)
	}
	return path, info.Version()
}

// TestSwapUnderLoad swaps two catalogs back and forth, and rolls back, over HTTP while
// storefront clients read and a feed writes. No request may fail, and every answer's
// X-Catalog-Version must name the catalog its data comes from: week B renames EBC-1 and
// adds a Honda that EBC-1 fits in 2024.
func TestSwapUnderLoad(t *testing.T) {
	files := t.TempDir()
	pathA, verA := writeFixture(t, files, "A", func(map[string]string) {})
	pathB, verB := writeFixture(t, files, "B", func(f map[string]string) {
		f["vehicles.csv"] += "atv,Honda,TRX420,,2024\n"
		f["parts.csv"] = strings.Replace(f["parts.csv"], "EBC-1,EBC,Brake pads,", "EBC-1,EBC,Brake pads B,", 1)
		f["fitments.csv"] += "EBC-1,Honda,TRX420,,2024\n"
	})

	dir := t.TempDir()
	topts := tenant.DefaultOptions()
	topts.Logger = slog.New(slog.DiscardHandler)
	store, err := tenant.Open(dir, topts)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng := engine.New()
	cats := catalogs.New(eng, catalogs.Options{Dir: dir, KeepPrevious: true, Logger: slog.New(slog.DiscardHandler)})
	defer cats.Close()
	if _, err := cats.Start(pathA); err != nil {
		t.Fatal(err)
	}
	if err := store.Attach(eng); err != nil {
		t.Fatal(err)
	}
	_, keys, err := store.Create(tenant.Tenant{ID: "a", Name: "A", Currency: "EUR", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Engine: eng, Store: store, Catalogs: cats, AdminToken: adminToken, Logger: slog.New(slog.DiscardHandler)})
	srv.SetReady(true)
	base := serve(t, srv)
	client := &http.Client{}
	do := func(method, path, key string, body string) (int, string, []byte, error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if key == adminToken {
			req.Header.Set("Authorization", "Bearer "+adminToken)
		} else if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, "", nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("X-Catalog-Version"), b, err
	}
	if st, _, b, err := do("PUT", "/api/app/subscriptions/EBC", keys.Secret, ""); err != nil || st != 200 {
		t.Fatalf("subscribe: %d %s %v", st, b, err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, writes, seenA, seenB atomic.Int64
	errs := make(chan error, 64)
	fail := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
	}
	check := func(path string, f func(ver string, body []byte) error) {
		st, ver, body, err := do("GET", path, keys.Publishable, "")
		switch {
		case err != nil:
			fail("GET %s: %v", path, err)
		case st != 200:
			fail("GET %s: status %d: %s", path, st, body)
		case ver != verA && ver != verB:
			fail("GET %s: X-Catalog-Version %q", path, ver)
		default:
			if err := f(ver, body); err != nil {
				fail("GET %s (catalog %s): %v: %s", path, ver, err, body)
			}
			reads.Add(1)
			if ver == verA {
				seenA.Add(1)
			} else {
				seenB.Add(1)
			}
		}
	}
	for w := 0; w < 6; w++ {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				check("/api/t/parts/EBC-1", func(ver string, body []byte) error {
					var p engine.PartDetail
					if err := json.Unmarshal(body, &p); err != nil {
						return err
					}
					if want := map[string]string{verA: "Brake pads", verB: "Brake pads B"}[ver]; p.Name != want {
						return fmt.Errorf("name %q, want %q", p.Name, want)
					}
					return nil
				})
				check(fmt.Sprintf("/api/t/makes?year=2024&n=%d", n%7), func(ver string, body []byte) error {
					var makes []engine.MakeRef
					if err := json.Unmarshal(body, &makes); err != nil {
						return err
					}
					honda := bytes.Contains(body, []byte(`"Honda"`))
					if honda != (ver == verB) || len(makes) == 0 {
						return fmt.Errorf("makes %v", makes)
					}
					return nil
				})
			}
		})
	}
	wg.Go(func() { // a stock feed, all along
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			st, _, body, err := do("POST", "/api/integrations/stock-feed", keys.Secret, fmt.Sprintf(`[{"partNumber":"EBC-1","stock":%d}]`, n%50))
			if err != nil || st != 200 {
				fail("stock feed: %d %s %v", st, body, err)
				return
			}
			writes.Add(1)
		}
	})

	steps := []struct{ path, want string }{{pathB, verB}, {pathA, verA}, {pathB, verB}, {"rollback", verA}, {pathB, verB}, {"rollback", verA}, {"rollback", verB}}
	for _, s := range steps {
		before := reads.Load()
		var st int
		var body []byte
		if s.path == "rollback" {
			st, _, body, err = do("POST", "/api/admin/snapshot/rollback", adminToken, "")
		} else {
			st, _, body, err = do("POST", "/api/admin/snapshot", adminToken, fmt.Sprintf(`{"path":%q}`, s.path))
		}
		var r catalogs.Report
		if err != nil || st != 200 || json.Unmarshal(body, &r) != nil || r.Version != s.want {
			t.Fatalf("%s: %d %s %v", s.path, st, body, err)
		}
		for reads.Load() < before+20 { // some reads on each catalog
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if seenA.Load() == 0 || seenB.Load() == 0 || writes.Load() == 0 {
		t.Errorf("reads of A %d, of B %d, feed writes %d: want some of each", seenA.Load(), seenB.Load(), writes.Load())
	}
	t.Logf("%d reads (%d on A, %d on B), %d feed writes during %d swaps", reads.Load(), seenA.Load(), seenB.Load(), writes.Load(), len(steps))

	// The admin status, and the refusals.
	st, _, body, _ := do("GET", "/api/admin/snapshot", adminToken, "")
	var status catalogs.Status
	if st != 200 || json.Unmarshal(body, &status) != nil || status.Current.Version != verB || status.Previous.Version != verA || !status.PreviousResident {
		t.Errorf("GET /api/admin/snapshot: %d %s", st, body)
	}
	for _, c := range []struct {
		body string
		code string
	}{
		{`{"path":""}`, "bad_request"},
		{`{"path":"relative.snap"}`, "bad_request"},
		{fmt.Sprintf(`{"path":%q}`, filepath.Join(files, "missing.snap")), "bad_snapshot"},
		{fmt.Sprintf(`{"path":%q}`, pathB), "already_serving"},
	} {
		st, ver, body, _ := do("POST", "/api/admin/snapshot", adminToken, c.body)
		if !bytes.Contains(body, []byte(`"code":"`+c.code+`"`)) || st < 400 || ver != verB {
			t.Errorf("POST %s: %d %s (catalog %s); want %s and catalog B serving", c.body, st, body, ver, c.code)
		}
	}
	_, _, body, _ = do("GET", "/metrics", "", "")
	for _, want := range []string{`fitment_catalog_swaps_total{kind="rollback",outcome="done"} 3`, `fitment_catalog_swaps_total{kind="swap",outcome="done"} 4`,
		`fitment_catalog_swaps_total{kind="any",outcome="refused"} 2`, "fitment_catalog_previous_resident 1", `fitment_catalog_info{version="` + verB + `"} 1`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if st, _, _, _ := do("GET", "/api/admin/snapshot", keys.Secret, ""); st != 401 {
		t.Errorf("GET /api/admin/snapshot with a tenant key: %d, want 401", st)
	}
}
