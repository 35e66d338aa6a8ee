package engine_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
)

// nextWeek is c rebuilt a week later: some parts gone (with their fitments), some new ones
// of the same brands with fitments of their own, the rest as they were.
func nextWeek(r *rand.Rand, c *refCatalog, week int) *refCatalog {
	n := &refCatalog{vehicles: c.vehicles}
	gone := map[string]bool{}
	for _, p := range c.parts {
		if len(c.parts) > 4 && r.IntN(4) == 0 {
			gone[p.number] = true
			continue
		}
		n.parts = append(n.parts, p)
	}
	for i := 0; i < 1+r.IntN(10); i++ {
		p := refPart{number: fmt.Sprintf("W%d-%03d", week, i), brand: refBrands[r.IntN(len(refBrands))],
			category: refCats[r.IntN(len(refCats))], nameStyle: r.IntN(len(refNames))}
		n.parts = append(n.parts, p)
		v := c.vehicles[r.IntN(len(c.vehicles))]
		n.fitments = append(n.fitments, refFitment{part: p.number, make: v.make, model: v.model, submodel: v.submodel, years: []int{v.year}})
	}
	for _, f := range c.fitments {
		if !gone[f.part] {
			n.fitments = append(n.fitments, f)
		}
	}
	return n
}

func buildRef(t *testing.T, r *rand.Rand, c *refCatalog) *snapshot.Catalog {
	t.Helper()
	dir := t.TempDir()
	c.write(t, r, dir)
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// comparable is a tenant's state without what depends on the catalog's numbering (part
// ids), in a fixed order.
func comparableState(st engine.TenantState) engine.TenantState {
	st.Catalog = ""
	items := slices.Clone(st.Items)
	for i := range items {
		items[i].Part = 0
		items[i].Number = snapshot.Key(items[i].Number)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Number < items[j].Number })
	st.Items = items
	ls := slices.Clone(st.LocationStock)
	for i := range ls {
		ls[i].Items = comparableState(engine.TenantState{Items: ls[i].Items}).Items
	}
	st.LocationStock = ls
	sort.Strings(st.Brands)
	return st
}

// TestSwapUnderWritesMatchesRestore swaps catalogs, rolls back and swaps again while
// writers change every tenant and readers read. Afterwards each tenant must be exactly
// what a restart would make of its durable state: its first state restored on the final
// catalog and every change it published (as its commit saw it) replayed in order.
func TestSwapUnderWritesMatchesRestore(t *testing.T) {
	defer goleak.VerifyNone(t)
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { swapUnderWrites(t, seed) })
	}
}

func swapUnderWrites(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 77))
	a := randomCatalog(r)
	for len(a.fitments) < 10 {
		a = randomCatalog(r)
	}
	b := nextWeek(r, a, 1)
	catA, catB := buildRef(t, r, a), buildRef(t, r, b)
	m := newModel(a)

	e := engine.New()
	e.Load(catA, "A")
	const tenants = 6
	first := make([]engine.TenantState, tenants)
	refs := make([]*refTenant, tenants)
	for i := range refs {
		refs[i] = randomTenant(r, a)
		first[i] = refs[i].state(m)
		e.Restore(fmt.Sprint(i), first[i])
	}

	// Writers: one per tenant, each logging what it published, as the journal would;
	// and the same writes made between a swap's stages, so that each stage surely has
	// changes to replay.
	logs := make([][]engine.Change, tenants)
	locks := make([]sync.Mutex, tenants)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, tenants+4)
	write := func(i int, wr *rand.Rand, n int) error {
		locks[i].Lock()
		defer locks[i].Unlock()
		ch, _ := refs[i].randomChange(wr, m, 6)
		if n%17 == 0 {
			ch.ClearStock = true // a full stock sync
		}
		_, err := e.Update(fmt.Sprint(i), ch, func(res engine.Change) error {
			logs[i] = append(logs[i], res)
			return nil
		})
		return err
	}
	for i := 0; i < tenants; i++ {
		wr := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Go(func() {
			for n := 0; n < 300; n++ {
				if err := write(i, wr, n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	hr := rand.New(rand.NewPCG(seed, 99))
	engine.SetSwapHook(func(string) {
		for i := 0; i < tenants; i++ {
			if err := write(i, hr, i); err != nil {
				errs <- err
			}
		}
	})
	defer engine.SetSwapHook(nil)
	// Readers: every view they get is whole and of one of the two catalogs.
	var rg sync.WaitGroup
	for w := 0; w < 2; w++ {
		rg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				v, err := e.View(fmt.Sprint(n % tenants))
				if err != nil {
					errs <- err
					return
				}
				if ver := v.Version(); ver != "A" && ver != "B" {
					errs <- fmt.Errorf("view of catalog %q", ver)
					return
				}
				for _, y := range v.Years(engine.Filter{}) {
					if len(v.Makes(engine.Filter{Year: y})) == 0 {
						errs <- fmt.Errorf("catalog %s: year %d listed without makes", v.Version(), y)
						return
					}
				}
			}
		})
	}

	replayed := 0
	keep := engine.SwapOptions{KeepPrevious: true, LogBudget: 40 + int(seed)*20}
	want := []string{"B", "A", "B", "A"}
	for i, step := range want {
		var rep engine.SwapReport
		var err error
		if i == 1 || i == 3 {
			rep, err = e.Rollback(keep)
		} else {
			rep, err = e.Swap(catB, "B", nil, keep)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if rep.Version != step || e.Version() != step || !rep.PreviousKept {
			t.Fatalf("step %d: report %+v, engine at %q, want %q", i, rep, e.Version(), step)
		}
		replayed += rep.Replayed
		if v, _, ok := e.Previous(); !ok || v == step {
			t.Fatalf("step %d: previous %q %v", i, v, ok)
		}
	}
	wg.Wait() // the writers
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	t.Logf("%d changes replayed by the swaps", replayed)

	// A restart on the final catalog: every tenant restored and replayed.
	final := catA
	fresh := engine.New()
	fresh.Load(final, "A")
	for i := 0; i < tenants; i++ {
		id := fmt.Sprint(i)
		fresh.Restore(id, first[i])
		for _, ch := range logs[i] {
			if _, err := fresh.Update(id, ch, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := e.View(id)
		exp, _ := fresh.View(id)
		if g, w := comparableState(got.State()), comparableState(exp.State()); !reflect.DeepEqual(g, w) {
			t.Errorf("tenant %s after %d changes: swapped state\n%+v\nrestarted state\n%+v", id, len(logs[i]), g, w)
		}
		if got.Counts() != exp.Counts() {
			t.Errorf("tenant %s: counts %+v, restarted %+v", id, got.Counts(), exp.Counts())
		}
		if !reflect.DeepEqual(got.Years(engine.Filter{}), exp.Years(engine.Filter{})) {
			t.Errorf("tenant %s: years %v, restarted %v", id, got.Years(engine.Filter{}), exp.Years(engine.Filter{}))
		}
	}
	e.DropPrevious()
	if _, _, ok := e.Previous(); ok {
		t.Error("a previous catalog after DropPrevious")
	}
	if _, err := e.Rollback(keep); err != engine.ErrNoPrevious {
		t.Errorf("Rollback with nothing kept: %v, want ErrNoPrevious", err)
	}
}

// TestSwapTenantLayer follows one tenant's settings across rebuilds: a subscription shows
// the brand's new parts, the settings of a part that left are kept aside (counted, not
// served) and come back with it; vehicle ids stay; a rollback with no writes derives
// nothing.
func TestSwapTenantLayer(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	a := randomCatalog(r)
	for len(a.parts) < 20 {
		a = randomCatalog(r)
	}
	b := nextWeek(r, a, 1)
	catA, catB := buildRef(t, r, a), buildRef(t, r, b)
	inB := map[string]bool{}
	for _, p := range b.parts {
		inB[p.number] = true
	}
	var left, added refPart
	for _, p := range a.parts {
		if !inB[p.number] {
			left = p
			break
		}
	}
	added = b.parts[len(b.parts)-1]
	for _, p := range b.parts {
		if p.number[0] == 'W' {
			added = p
			break
		}
	}
	if left.number == "" {
		t.Skip("no part left the catalog")
	}

	e := engine.New()
	e.Load(catA, "A")
	e.Restore("t", engine.TenantState{Brands: []string{added.brand}, Items: []engine.ItemState{
		{Part: snapshot.None, Number: left.number, Active: engine.Activated, Offer: engine.Offer(0).WithPrice(1234).WithStock(5)},
	}, Aliases: []engine.Alias{{Alias: "POS-1", PartNumber: left.number}}})
	before, _ := e.View("t")
	// Ids by natural key: the rebuild kept every vehicle, so every id.
	vehicleIDs := func(c *snapshot.Catalog) map[string]string {
		ids := map[string]string{}
		for _, v := range c.Vehicles {
			md := c.Models[v.Model]
			ids[fmt.Sprintf("%s/%s/%s/%d", c.Makes[md.Make].ID, md.ID, snapshot.Key(v.Submodel), v.Year)] = v.ID
		}
		return ids
	}
	if a, b := vehicleIDs(catA), vehicleIDs(catB); !reflect.DeepEqual(a, b) {
		t.Errorf("vehicle ids changed in the rebuild: %d before, %d after", len(a), len(b))
	}

	rep, err := e.Swap(catB, "B", nil, engine.SwapOptions{KeepPrevious: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orphans.Items != 1 || rep.Orphans.Aliases != 1 || rep.Tenants != 1 || rep.Derived != 1 {
		t.Errorf("swap report %+v: want 1 item and 1 alias kept aside, 1 tenant derived", rep)
	}
	v, _ := e.View("t")
	if _, err := v.Part(left.number, ""); err == nil {
		t.Errorf("part %s served after it left the catalog", left.number)
	}
	if _, err := v.Part(added.number, ""); err != nil {
		t.Errorf("new part %s of subscribed brand %s: %v", added.number, added.brand, err)
	}

	back, err := e.Rollback(engine.SwapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Derived != 0 || back.Replayed != 0 || back.Orphans.Items != 0 || back.PreviousKept {
		t.Errorf("rollback report %+v: want nothing derived, replayed or kept aside, nothing kept", back)
	}
	v, _ = e.View("t")
	it, err := v.Part(left.number, "")
	if err != nil || it.Price == nil || *it.Price != engine.Money(1234) {
		t.Errorf("after the rollback, part %s: %+v, %v; want its price back", left.number, it, err)
	}
	if v != before {
		t.Error("the rollback did not publish the view kept from before the swap")
	}
	if _, err := e.Rollback(engine.SwapOptions{}); err != engine.ErrNoPrevious {
		t.Errorf("second rollback without KeepPrevious: %v", err)
	}
}
