package engine_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/ingest"
)

// TestConcurrentReadsDuringWrites queries views while tenants change and catalogs swap.
// Run under -race (make test does). Each view must stay consistent with itself: every
// year it lists has makes, and every make of a year has models.
func TestConcurrentReadsDuringWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var cats []*refCatalog
	e := engine.New()
	for i := 0; i < 2; i++ {
		c := randomCatalog(r)
		for len(c.fitments) < 20 {
			c = randomCatalog(r)
		}
		dir := t.TempDir()
		c.write(t, r, dir)
		cat, _, err := ingest.Build(dir, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cats = append(cats, c)
		if i == 0 {
			e.Load(cat, "v0")
		}
	}
	tenants := []string{"a", "b", "c"}
	for _, id := range tenants {
		e.Restore(id, engine.TenantState{Brands: refBrands})
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				v, err := e.View(tenants[n%len(tenants)])
				if err != nil {
					errs <- err
					return
				}
				for _, y := range v.Years(engine.Filter{}) {
					makes := v.Makes(engine.Filter{Year: y})
					if len(makes) == 0 {
						errs <- fmt.Errorf("view %s: year %d listed without makes", v.Version(), y)
						return
					}
					if len(v.Models(engine.Filter{Year: y, MakeID: makes[0].ID})) == 0 {
						errs <- fmt.Errorf("view %s: make %s listed without models in %d", v.Version(), makes[0].Name, y)
						return
					}
				}
			}
		}(w)
	}

	deadline := time.Now().Add(2 * time.Second)
	last := "v0"
	for n := 0; time.Now().Before(deadline); n++ {
		id := tenants[n%len(tenants)]
		b := refBrands[n%len(refBrands)]
		ch := engine.Change{Subscribe: []string{b}}
		if n%2 == 0 {
			ch = engine.Change{Unsubscribe: []string{b}}
		}
		if _, err := e.Update(id, ch, nil); err != nil {
			t.Fatal(err)
		}
		if n%50 == 0 {
			dir := t.TempDir()
			cats[n/50%2].write(t, r, dir)
			cat, _, err := ingest.Build(dir, ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			last = fmt.Sprintf("v%d", n)
			e.Load(cat, last)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range tenants {
		if v, _ := e.View(id); v.Version() != last {
			t.Errorf("View(%s).Version() after the last load: got %q, want %q", id, v.Version(), last)
		}
	}
}

// refEngine is an engine loaded with a small random catalog.
func refEngine(t *testing.T) *engine.Engine {
	r := rand.New(rand.NewPCG(9, 9))
	dir := t.TempDir()
	randomCatalog(r).write(t, r, dir)
	cat, _, err := ingest.Build(dir, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New()
	e.Load(cat, "v1")
	return e
}
