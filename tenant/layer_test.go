package tenant

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/journal"
	"github.com/fitment/fitment/snapshot"
)

// The store's tests run it against the real engine on a small catalog: brands EBC, KN and
// AT with 60 parts each, fitted to a handful of vehicles.

var (
	catOnce sync.Once
	testCat *snapshot.Catalog
	catErr  error
)

func testCatalog(t testing.TB) *snapshot.Catalog {
	catOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tenant-fixture")
		if err != nil {
			catErr = err
			return
		}
		defer os.RemoveAll(dir)
		var parts, fits strings.Builder
		parts.WriteString("part_number,brand,name\n")
		fits.WriteString("part_number,make,model,submodel,years\n")
		for _, b := range []string{"EBC", "KN", "AT"} {
			for i := 0; i < 60; i++ {
				fmt.Fprintf(&parts, "%s-%d,%s,Part %d of %s\n", b, i, b, i, b)
				fmt.Fprintf(&fits, "%s-%d,Can-Am,Outlander,,%d\n", b, i, 2020+i%4)
			}
		}
		files := map[string]string{
			"vehicles.csv": "type,make,model,submodel,years\natv,Can-Am,Outlander,XT,2020-2023\n",
			"parts.csv":    parts.String(),
			"fitments.csv": fits.String(),
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				catErr = err
				return
			}
		}
		testCat, _, catErr = ingest.Build(dir, ingest.Options{})
	})
	if catErr != nil {
		if t == nil {
			panic(catErr)
		}
		t.Fatal(catErr)
	}
	return testCat
}

func quiet(o Options) Options {
	o.Logger = slog.New(slog.DiscardHandler)
	return o
}

func newEngine(t testing.TB) *engine.Engine {
	e := engine.New()
	e.Load(testCatalog(t), "cat1")
	return e
}

// openAttached opens the store in dir on fsys and attaches a fresh engine.
func openAttached(t testing.TB, dir string, o Options) (*Store, *engine.Engine) {
	t.Helper()
	s, err := Open(dir, quiet(o))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	eng := newEngine(t)
	if err := s.Attach(eng); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return s, eng
}

// state is what the engine holds of a tenant, by part number, for comparisons.
type state struct {
	engine.TenantState
	Items map[string]engine.ItemState
}

func stateOf(t testing.TB, eng *engine.Engine, id string) state {
	t.Helper()
	v, err := eng.View(id)
	if err != nil {
		t.Fatal(err)
	}
	st := state{TenantState: v.State(), Items: map[string]engine.ItemState{}}
	for _, it := range st.TenantState.Items {
		it.Part = 0
		st.Items[it.Number] = it
	}
	st.TenantState.Items = nil
	return st
}

func mustWrite(t testing.TB, s *Store, id string, ch engine.Change) engine.Outcome {
	t.Helper()
	out, _, err := s.Write(id, ch)
	if err != nil {
		t.Fatalf("Write(%s): %v", id, err)
	}
	return out
}

func stockRows(prefix string, n, stock int) []engine.ItemUpdate {
	var ups []engine.ItemUpdate
	for i := 0; i < n; i++ {
		ups = append(ups, engine.ItemUpdate{Ref: fmt.Sprintf("%s-%d", prefix, i), SetStock: true, Stock: int64(stock + i)})
	}
	return ups
}

// fill gives tenants a and b subscriptions, settings, offers (with a full stock sync) and
// aliases, and returns their keys.
func fill(t *testing.T, s *Store) (ka, kb Keys) {
	_, ka = mustCreate(t, s, Tenant{ID: "a", Name: "A", Currency: "EUR", Language: "de"})
	_, kb = mustCreate(t, s, Tenant{ID: "b", Name: "B", Currency: "SEK", Language: "sv"})
	mustWrite(t, s, "a", engine.Change{Subscribe: []string{"EBC", "KN"}})
	mustWrite(t, s, "b", engine.Change{Subscribe: []string{"AT"}})
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveCatalog, Items: []engine.ItemUpdate{
		{Ref: "EBC-3", SetActive: true, Active: engine.Deactivated},
		{Ref: "AT-7", SetActive: true, Active: engine.Activated, SetPrice: true, Price: 1999},
	}})
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("EBC", 40, 1)})
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveActive, ClearStock: true, Items: stockRows("EBC", 20, 100)})
	mustWrite(t, s, "b", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("AT", 60, 5)})
	mustWrite(t, s, "a", engine.Change{PutAliases: []engine.Alias{{Alias: "POS-1", PartNumber: "kn-4", Source: "POS"}}})
	mustWrite(t, s, "b", engine.Change{PutAliases: []engine.Alias{{Alias: "POS-1", PartNumber: "AT-9", Source: "legacy"}}})
	tok := "pk.x"
	if _, err := s.SetConfig("a", map[string]*string{"mapboxToken": &tok}); err != nil {
		t.Fatal(err)
	}
	lat, lng := 60.17, 24.94
	mustWrite(t, s, "a", engine.Change{PutLocations: []engine.Location{
		{Code: "HEL", Name: "Helsinki", Country: "Finland", Lat: &lat, Lng: &lng, Active: true, LinkedTenantID: "b"},
		{Code: "TMP", Name: "Tampere", Active: false}}})
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveActive, LocationStock: []engine.LocationStockUpdate{
		{Location: "HEL", Ref: "EBC-1", SetStock: true, Stock: 3}, {Location: "tmp", Ref: "KN-2", SetStock: true, Stock: 0}}})
	mustWrite(t, s, "b", engine.Change{Grants: []engine.GrantChange{{Tenant: "a", Grant: &engine.Grant{Precision: engine.Bucket, LowThreshold: 2}}}})
	veh := engine.TenantVehicle{ID: snapshot.VehicleID("Can-Am", "Outlander", "Own", 2021), Type: "atv", Make: "Can-Am", Model: "Outlander", Submodel: "Own", Year: 2021}
	mustWrite(t, s, "a", engine.Change{PutVehicles: []engine.TenantVehicle{veh}})
	mustWrite(t, s, "a", engine.Change{PutParts: []engine.TenantPart{
		{PartNumber: "OWN-1", Brand: "Own", Name: "Own part", Fitments: []engine.TenantFitment{{VehicleID: veh.ID, Position: "FRONT"}}},
		{PartNumber: "OWN-2", Brand: "Own", Name: "Gone soon"}}})
	mustWrite(t, s, "a", engine.Change{DeleteParts: []string{"OWN-2"}})
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveActive, Items: []engine.ItemUpdate{{Ref: "OWN-1", SetPrice: true, Price: 999}}})
	return ka, kb
}

// TestRecovery: the tenant layer restored from disk — after a clean close (checkpoints),
// after a crash (journal only), and from checkpoints plus a journal tail — equals what was
// served before.
func TestRecovery(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(s *Store, fsys *journal.CrashFS)
	}{
		{"clean close", func(s *Store, _ *journal.CrashFS) { s.Close() }},
		{"crash, journal only", func(_ *Store, fsys *journal.CrashFS) { fsys.Crash() }},
		{"checkpoint then crash", func(s *Store, fsys *journal.CrashFS) {
			if err := s.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Write("a", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("KN", 10, 7)}); err != nil {
				t.Fatal(err)
			}
			fsys.Crash()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := journal.NewCrashFS()
			o := DefaultOptions()
			o.FS = fsys
			s, eng := openAttached(t, "/data", o)
			ka, _ := fill(t, s)
			tc.close(s, fsys)
			want := map[string]state{"a": stateOf(t, eng, "a"), "b": stateOf(t, eng, "b")}

			s2, eng2 := openAttached(t, "/data", o)
			defer s2.Close()
			for id, w := range want {
				if got := stateOf(t, eng2, id); !reflect.DeepEqual(got, w) {
					t.Errorf("tenant %s after reopen:\n got %+v\nwant %+v", id, got, w)
				}
			}
			if id, kind, ok := s2.Authenticate(ka.Secret); !ok || id != "a" || kind != Secret {
				t.Errorf("Authenticate after reopen: %q %v %v", id, kind, ok)
			}
			if cfg, _ := s2.Config("a"); cfg["mapboxToken"] != "pk.x" {
				t.Errorf("config after reopen: %v", cfg)
			}
			// The tenants' aliases stay their own.
			va, _ := eng2.View("a")
			vb, _ := eng2.View("b")
			da, err1 := va.Part("pos-1", "")
			db, err2 := vb.Part("POS-1", "")
			if err1 != nil || err2 != nil || da.PartNumber != "KN-4" || db.PartNumber != "AT-9" {
				t.Errorf("alias POS-1 after reopen: a → %v %v, b → %v %v", da, err1, db, err2)
			}
		})
	}
}

// TestCheckpointTruncatesJournal: checkpoint rounds let the journal drop covered segments,
// and recovery from checkpoints plus what is left is still exact.
func TestCheckpointTruncatesJournal(t *testing.T) {
	dir := t.TempDir()
	o := DefaultOptions()
	o.Journal.SegmentBytes = 4 << 10
	s, eng := openAttached(t, dir, o)
	fill(t, s)
	for i := 0; i < 30; i++ {
		mustWrite(t, s, "b", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("AT", 60, i)})
	}
	before := s.Stats()
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	if after.FirstSeq <= before.FirstSeq {
		t.Errorf("journal after a checkpoint: first seq %d, before %d: nothing truncated", after.FirstSeq, before.FirstSeq)
	}
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("KN", 5, 3)})
	want := map[string]state{"a": stateOf(t, eng, "a"), "b": stateOf(t, eng, "b")}
	// No Close: the last write is only in the journal.
	s.closeFiles()
	s2, eng2 := openAttached(t, dir, o)
	defer s2.Close()
	for id, w := range want {
		if got := stateOf(t, eng2, id); !reflect.DeepEqual(got, w) {
			t.Errorf("tenant %s after reopen:\n got %+v\nwant %+v", id, got, w)
		}
	}
}

// TestAcknowledgedWritesSurvivePowerLoss runs concurrent writers of several tenants on a
// file system that loses every unsynced byte at a crash, crashes at a random moment, and
// checks that every write that returned is there after recovery, and that no write is
// half applied. It fails if the journal or the checkpoints skip an fsync.
func TestAcknowledgedWritesSurvivePowerLoss(t *testing.T) {
	for round := 0; round < 8; round++ {
		fsys := journal.NewCrashFS()
		o := DefaultOptions()
		o.FS = fsys
		o.Journal.SegmentBytes = 8 << 10
		s, _ := openAttached(t, "/data", o)
		ids := []string{"t0", "t1", "t2"}
		brands := []string{"EBC", "KN", "AT"}
		for i, id := range ids {
			mustCreate(t, s, Tenant{ID: id, Name: id, Currency: "EUR", Language: "en"})
			mustWrite(t, s, id, engine.Change{Subscribe: []string{brands[i]}, PutLocations: []engine.Location{{Code: "L", Name: "Store", Active: true}}})
		}
		// Each writer, for n = 1, 2, ..., sets all 60 parts of its brand to stock n, then
		// the same at its location L, then grants the next tenant sharing with low
		// threshold n; acked[i][k] is the last n acknowledged for write k.
		var acked [3][3]atomic.Int64
		var stop atomic.Bool
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 1; !stop.Load(); n++ {
					var ups []engine.ItemUpdate
					var locUps []engine.LocationStockUpdate
					for p := 0; p < 60; p++ {
						ref := fmt.Sprintf("%s-%d", brands[i], p)
						ups = append(ups, engine.ItemUpdate{Ref: ref, SetStock: true, Stock: int64(n)})
						locUps = append(locUps, engine.LocationStockUpdate{Location: "L", Ref: ref, SetStock: true, Stock: int64(n)})
					}
					grant := []engine.GrantChange{{Tenant: ids[(i+1)%3], Grant: &engine.Grant{Precision: engine.Bucket, LowThreshold: n}}}
					for k, ch := range []engine.Change{
						{Resolve: engine.ResolveActive, Items: ups},
						{Resolve: engine.ResolveActive, LocationStock: locUps},
						{Grants: grant},
					} {
						if _, _, err := s.Write(id, ch); err != nil {
							return // the crash
						}
						acked[i][k].Store(int64(n))
					}
					if n%7 == 0 {
						s.Checkpoint()
					}
				}
			}()
		}
		time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
		// The power goes: every later write and sync fails, and no checkpoint still
		// running reaches the disk, as none can once the process is gone. (Crash alone
		// would let it rename and truncate on the rebooted disk, from what it believed
		// durable.)
		fsys.PowerOff()
		stop.Store(true)
		wg.Wait()
		fsys.Crash()

		s2, eng2 := openAttached(t, "/data", o)
		for i, id := range ids {
			st := stateOf(t, eng2, id)
			same := func(what string, n int64, k int) {
				t.Helper()
				if a := acked[i][k].Load(); n < a {
					t.Fatalf("round %d tenant %s: %s %d after the crash, but write %d was acknowledged", round, id, what, n, a)
				}
			}
			var got int64 = -1
			for p := 0; p < 60; p++ {
				it := st.Items[fmt.Sprintf("%s-%d", brands[i], p)]
				n, _ := it.Offer.Stock()
				if got >= 0 && n != got {
					t.Fatalf("round %d tenant %s: part %d has stock %d, others %d: a write half applied", round, id, p, n, got)
				}
				got = n
			}
			same("stock", got, 0)
			got = -1
			if len(st.LocationStock) > 0 {
				items := st.LocationStock[0].Items
				for _, it := range items {
					n, _ := it.Offer.Stock()
					if got >= 0 && n != got || len(items) != 60 {
						t.Fatalf("round %d tenant %s: location stock %d of %d parts, others %d: a feed half applied", round, id, n, len(items), got)
					}
					got = n
				}
			}
			same("location stock", got, 1)
			got = -1
			if len(st.Grants) == 1 {
				got = int64(st.Grants[0].LowThreshold)
			}
			same("grant threshold", got, 2)
		}
		s2.Close()
	}
}

// panicky is the engine with a failure injected after the journal append of one write.
type panicky struct {
	*engine.Engine
	fail atomic.Bool
}

func (p *panicky) Update(id string, ch engine.Change, commit func(engine.Change) error) (engine.Outcome, error) {
	if commit == nil {
		return p.Engine.Update(id, ch, nil)
	}
	return p.Engine.Update(id, ch, func(res engine.Change) error {
		err := commit(res)
		if err == nil && p.fail.CompareAndSwap(true, false) {
			panic("injected failure after the journal append")
		}
		return err
	})
}

// TestFailureAfterAppend: a panic between the durable append and the publication leaves
// the engine agreeing with the journal, and the next writes work.
func TestFailureAfterAppend(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, quiet(DefaultOptions()))
	if err != nil {
		t.Fatal(err)
	}
	eng := &panicky{Engine: newEngine(t)}
	if err := s.Attach(eng); err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	eng.fail.Store(true)
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("Write: the injected panic did not reach the caller")
			}
		}()
		s.Write("a", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("KN", 30, 40)})
	}()
	// The change is durable, so the engine must show it too (re-derived from disk).
	live := stateOf(t, eng.Engine, "a")
	if n, _ := live.Items["KN-29"].Offer.Stock(); n != 69 {
		t.Errorf("after the failure: KN-29 stock %d, want 69 (the durable change)", n)
	}
	mustWrite(t, s, "a", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("KN", 1, 5)})
	want := stateOf(t, eng.Engine, "a")
	s.Close()
	s2, eng2 := openAttached(t, dir, DefaultOptions())
	defer s2.Close()
	if got := stateOf(t, eng2, "a"); !reflect.DeepEqual(got, want) {
		t.Errorf("engine and disk disagree after a failure:\n disk %+v\n live %+v", got, want)
	}
}

// TestMigrateV1 imports a data directory of the first format (one bbolt file).
func TestMigrateV1(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, v1File), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := newKeys()
	hp, hs := hashKey(keys.Publishable), hashKey(keys.Secret)
	err = db.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket([]byte("meta"))
		meta.Put([]byte("version"), []byte("1"))
		tb, _ := tx.CreateBucket([]byte("tenants"))
		r := record{Tenant: Tenant{ID: "old", Name: "Old Shop", Type: Standard, Currency: "EUR", Language: "fi",
			Created: time.Now().UTC().Truncate(time.Second), Config: map[string]string{"mapboxToken": "pk.old"}},
			KeyHashes: [][]byte{hp[:], hs[:]}}
		tb.Put([]byte("old"), mustJSON(r))
		data, _ := tx.CreateBucket([]byte("data"))
		d, _ := data.CreateBucket([]byte("old"))
		subs, _ := d.CreateBucket([]byte("subs"))
		subs.Put([]byte("ebc"), []byte("EBC"))
		items, _ := d.CreateBucket([]byte("items"))
		items.Put([]byte("ebc-1"), []byte(`{"pn":"EBC-1","active":false}`))
		items.Put([]byte("ebc-2"), []byte(`{"pn":"EBC-2","price":12.5,"stock":3}`))
		items.Put([]byte("gone-1"), []byte(`{"pn":"GONE-1","stock":9}`))
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, eng := openAttached(t, dir, DefaultOptions())
	defer s.Close()
	if id, kind, ok := s.Authenticate(keys.Publishable); !ok || id != "old" || kind != Publishable {
		t.Errorf("old publishable key after import: %q %v %v", id, kind, ok)
	}
	if cfg, _ := s.Config("old"); cfg["mapboxToken"] != "pk.old" {
		t.Errorf("config after import: %v", cfg)
	}
	st := stateOf(t, eng, "old")
	p, _ := st.Items["EBC-2"].Offer.Price()
	n, _ := st.Items["EBC-2"].Offer.Stock()
	if !reflect.DeepEqual(st.Brands, []string{"EBC"}) || st.Items["EBC-1"].Active != engine.Deactivated || p != 1250 || n != 3 {
		t.Errorf("state after import: %+v", st)
	}
	if gone := st.Items["GONE-1"]; gone.Number != "GONE-1" {
		t.Errorf("an item of a part the catalog lacks was not kept: %+v", st.Items)
	}
	if _, err := os.Stat(filepath.Join(dir, v1Imported)); err != nil {
		t.Errorf("old file not kept aside: %v", err)
	}
	// A second open does not import again.
	s.Close()
	s2, _ := openAttached(t, dir, DefaultOptions())
	defer s2.Close()
	if n := len(s2.List()); n != 1 {
		t.Errorf("tenants after a second open: %d, want 1", n)
	}
}

// TestOneProcessAtATime: a second Open of a data directory in use fails and says why.
func TestOneProcessAtATime(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	if _, err := Open(dir, quiet(DefaultOptions())); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second Open: got %v, want the directory in use", err)
	}
}

// TestWriteErrors: unknown tenants and a store without an engine.
func TestWriteErrors(t *testing.T) {
	s, err := Open(t.TempDir(), quiet(DefaultOptions()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustCreate(t, s, Tenant{ID: "a", Name: "A", Currency: "EUR", Language: "en"})
	if _, _, err := s.Write("a", engine.Change{Subscribe: []string{"EBC"}}); !errors.Is(err, ErrNotReady) {
		t.Errorf("Write before Attach: got %v, want ErrNotReady", err)
	}
	if err := s.Attach(newEngine(t)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Write("nobody", engine.Change{Subscribe: []string{"EBC"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Write(unknown tenant): got %v, want ErrNotFound", err)
	}
	if _, seq, err := s.Write("a", engine.Change{Resolve: engine.ResolveActive, Items: stockRows("NOPE", 3, 1)}); err != nil || seq != 0 {
		t.Errorf("Write of rows that find nothing: seq %d, %v; want nothing journaled", seq, err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(encodeBatch(nil, &batch{tenant: "a", change: engine.Change{Subscribe: []string{"EBC"}, Items: stockRows("EBC", 3, 1), ClearStock: true,
		PutAliases: []engine.Alias{{Alias: "x", PartNumber: "y"}}, DeleteAliases: []string{"z"}}}))
	lat, lng := 60.17, 24.94
	f.Add(encodeBatch(nil, &batch{tenant: "a", change: engine.Change{
		PutLocations:    []engine.Location{{Code: "HEL", Name: "Helsinki", Lat: &lat, Lng: &lng, Active: true, LinkedTenantID: "b"}},
		DeleteLocations: []string{"TMP"},
		LocationStock:   []engine.LocationStockUpdate{{Location: "HEL", Ref: "EBC-1", SetStock: true, Stock: 3}, {Location: "HEL", Ref: "EBC-2", SetStock: true, Stock: -1}},
		Grants:          []engine.GrantChange{{Tenant: "b", Grant: &engine.Grant{Precision: engine.Bucket, LowThreshold: 2}}, {Tenant: "c"}},
		PutVehicles:     []engine.TenantVehicle{{ID: "v1", Make: "Can-Am", Model: "Outlander", Year: 2021}},
		PutParts:        []engine.TenantPart{{PartNumber: "OWN-1", Brand: "Own", Fitments: []engine.TenantFitment{{VehicleID: "v1"}}}},
		DeleteParts:     []string{"OWN-2"},
	}}))
	r := record{Tenant: Tenant{ID: "a", Name: "A"}, KeyHashes: [][]byte{make([]byte, 32)}}
	f.Add(encodeBatch(nil, &batch{tenant: "a", meta: &metaOp{create: &r}}))
	f.Fuzz(func(t *testing.T, rec []byte) {
		b, err := decodeBatch(rec)
		if err != nil {
			return
		}
		// What decodes re-encodes to a record that decodes to the same.
		again, err := decodeBatch(encodeBatch(nil, b))
		if err != nil || !reflect.DeepEqual(again.change, b.change) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, again, b)
		}
	})
}
