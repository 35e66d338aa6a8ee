package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/ingest"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

func init() {
	commands["demo"] = command{summary: "create the generated demo tenants, with their prices, stock and aliases, in a data directory", run: runDemo}
}

// demoKeysFile lists the keys of the tenants demo created: keys are shown only once, at
// creation, so later runs print them from here.
const demoKeysFile = "demo-keys.txt"

// feedBatch is how many offer rows go into one journal record while loading.
const feedBatch = 50_000

func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	catalog := fs.String("catalog", "", "generated catalog `directory` (holds tenants.json and feeds/)")
	data := fs.String("data", "", "fitmentd data `directory` (tenant layer)")
	snap := fs.String("snapshot", "", "snapshot `file` of that catalog (parts resolve against it)")
	base := fs.String("url", "http://127.0.0.1:8080", "base URL for the printed curl lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *catalog == "" || *data == "" || *snap == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("--catalog, --data and --snapshot are required")
	}
	raw, err := os.ReadFile(filepath.Join(*catalog, "tenants.json"))
	if err != nil {
		return err
	}
	var tenants []gen.Tenant
	if err := json.Unmarshal(raw, &tenants); err != nil {
		return fmt.Errorf("tenants.json: %w", err)
	}
	if len(tenants) == 0 {
		return errors.New("tenants.json lists no tenants")
	}
	cat, info, err := snapshot.Open(*snap)
	if err != nil {
		return err
	}
	eng := engine.New()
	eng.Load(cat, info.Version())

	store, err := tenant.Open(*data, tenant.DefaultOptions())
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Attach(eng); err != nil {
		return err
	}
	start := time.Now()
	created, offers, err := createDemoTenants(store, *catalog, tenants, filepath.Join(*data, demoKeysFile))
	if err != nil {
		return err
	}
	// A checkpoint now, so that fitmentd starts without replaying what was loaded here.
	if err := store.Close(); err != nil {
		return err
	}
	keys, err := readDemoKeys(filepath.Join(*data, demoKeysFile))
	if err != nil {
		return err
	}
	fmt.Printf("demo: %d tenants in %s (%d created now, %d offers loaded in %v); all keys in %s\n",
		len(tenants), *data, created, offers, time.Since(start).Round(time.Millisecond), filepath.Join(*data, demoKeysFile))
	const shown = 5 // the rest are in the keys file; a wall of keys helps nobody
	for i, t := range tenants {
		if i == shown {
			fmt.Printf("  … and %d more tenants in %s\n", len(tenants)-shown, filepath.Join(*data, demoKeysFile))
			break
		}
		if k, ok := keys[t.ID]; ok {
			fmt.Printf("  %-24s %-14s publishable %s  secret %s\n", t.ID, t.Type, k.Publishable, k.Secret)
		}
	}
	first := pickDemoTenant(tenants)
	k := keys[first.ID]
	if k.Publishable == "" {
		k = tenant.Keys{Publishable: "PUBLISHABLE_KEY", Secret: "SECRET_KEY"}
	}
	v, err := eng.View(first.ID)
	if err != nil {
		return err
	}
	fmt.Printf("\nTry the storefront API as %s (%s) once fitmentd runs:\n", first.Name, first.ID)
	b := strings.TrimSuffix(*base, "/")
	for _, path := range demoPaths(v) {
		fmt.Printf("curl -s -H 'X-API-Key: %s' '%s%s'\n", k.Publishable, b, path)
	}
	if pn, stock, ok := demoPart(v); ok {
		fmt.Printf("\nPush stock as the tenant's POS would (secret key); the next storefront query shows it:\n")
		fmt.Printf("curl -s -H 'X-API-Key: %s' -H 'Content-Type: application/json' -d '[{\"partNumber\":%q,\"stock\":%d}]' '%s/api/integrations/stock-feed'\n",
			k.Secret, pn, stock+5, b)
		fmt.Printf("curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s'\n", k.Publishable, b, url.PathEscape(pn))
	}
	if len(first.Aliases) > 0 {
		a := first.Aliases[0]
		fmt.Printf("\nA SKU alias (%s) resolves to its part:\n", a.Alias)
		fmt.Printf("curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s'\n", k.Publishable, b, url.PathEscape(a.Alias))
	}
	return nil
}

// pickDemoTenant is the tenant the printed curl lines use: the first with offers and
// aliases, else the first with offers, else the first.
func pickDemoTenant(ts []gen.Tenant) gen.Tenant {
	for _, t := range ts {
		if t.Offers != "" && len(t.Aliases) > 0 {
			return t
		}
	}
	for _, t := range ts {
		if t.Offers != "" {
			return t
		}
	}
	return ts[0]
}

// createDemoTenants creates the tenants not yet in the store, with their subscriptions,
// items, offers and aliases, and appends their keys to keysPath. Existing tenants are left
// alone, so running demo twice changes nothing.
func createDemoTenants(store *tenant.Store, dir string, tenants []gen.Tenant, keysPath string) (created, offers int, err error) {
	for _, gt := range tenants {
		if _, ok := store.Get(gt.ID); ok {
			continue
		}
		t, keys, err := store.Create(tenant.Tenant{ID: gt.ID, Name: gt.Name, Type: gt.Type, Currency: gt.Currency, Language: gt.Language})
		if err != nil {
			return created, offers, fmt.Errorf("tenant %s: %w", gt.ID, err)
		}
		// The keys are known only now: write them down before anything else can fail.
		if err := appendDemoKeys(keysPath, t, keys); err != nil {
			return created, offers, err
		}
		created++
		ch := engine.Change{Subscribe: gt.Brands, Resolve: engine.ResolveCatalog}
		for _, pn := range gt.Activate {
			ch.Items = append(ch.Items, engine.ItemUpdate{Ref: pn, SetActive: true, Active: engine.Activated})
		}
		for _, pn := range gt.Deactivate {
			ch.Items = append(ch.Items, engine.ItemUpdate{Ref: pn, SetActive: true, Active: engine.Deactivated})
		}
		if _, _, err := store.Write(t.ID, ch); err != nil {
			return created, offers, fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		if gt.Offers != "" {
			n, err := loadOffers(store, t.ID, filepath.Join(dir, gt.Offers))
			offers += n
			if err != nil {
				return created, offers, fmt.Errorf("tenant %s: %w", t.ID, err)
			}
		}
		if len(gt.Aliases) > 0 {
			ch := engine.Change{}
			for _, a := range gt.Aliases {
				ch.PutAliases = append(ch.PutAliases, engine.Alias{Alias: a.Alias, PartNumber: a.PartNumber, Source: a.Source})
			}
			if _, _, err := store.Write(t.ID, ch); err != nil {
				return created, offers, fmt.Errorf("tenant %s: aliases: %w", t.ID, err)
			}
		}
	}
	return created, offers, nil
}

// loadOffers feeds a tenant's generated offers file (partNumber,price,stock; "null" for a
// stock not tracked) in batches, as a POS would.
func loadOffers(store *tenant.Store, id, path string) (int, error) {
	r, closer, err := ingest.OpenSource(path)
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return 0, fmt.Errorf("%s: header: %w", path, err)
	}
	n := 0
	ups := make([]engine.ItemUpdate, 0, feedBatch)
	flush := func() error {
		if len(ups) == 0 {
			return nil
		}
		out, _, err := store.Write(id, engine.Change{Items: ups, Resolve: engine.ResolveActive})
		if err != nil {
			return err
		}
		if len(out.NotFound) > 0 {
			return fmt.Errorf("%s: %d parts the tenant does not sell, %s first", path, len(out.NotFound), ups[out.NotFound[0]].Ref)
		}
		n += len(ups)
		ups = ups[:0]
		return nil
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) < 3 {
			return n, fmt.Errorf("%s:%d: %v (want partNumber,price,stock)", path, line, err)
		}
		price, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return n, fmt.Errorf("%s:%d: price %q", path, line, rec[1])
		}
		u := engine.ItemUpdate{Ref: strings.Clone(rec[0]), SetPrice: true, Price: int64(math.Round(price * 100)), SetStock: true, Stock: -1}
		if rec[2] != "null" {
			if u.Stock, err = strconv.ParseInt(rec[2], 10, 64); err != nil {
				return n, fmt.Errorf("%s:%d: stock %q", path, line, rec[2])
			}
		}
		ups = append(ups, u)
		if len(ups) == feedBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

func appendDemoKeys(path string, t tenant.Tenant, k tenant.Keys) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s\t%s\t%s\t%s\n", t.ID, k.Publishable, k.Secret, t.Name); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readDemoKeys reads demo-keys.txt: one tenant a line, "id TAB publishable TAB secret TAB name".
func readDemoKeys(path string) (map[string]tenant.Keys, error) {
	out := map[string]tenant.Keys{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) >= 3 {
			out[fields[0]] = tenant.Keys{Publishable: fields[1], Secret: fields[2]}
		}
	}
	return out, sc.Err()
}

// demoPaths walks the tenant's cascade to real ids: years, makes, models, vehicles, then
// the first vehicle's parts (with their prices and stock).
func demoPaths(v *engine.View) []string {
	paths := []string{"/api/t/years"}
	years := v.Years(engine.Filter{})
	if len(years) == 0 {
		return paths
	}
	y := years[0]
	paths = append(paths, fmt.Sprintf("/api/t/makes?year=%d", y))
	makes := v.Makes(engine.Filter{Year: y})
	if len(makes) == 0 {
		return paths
	}
	paths = append(paths, fmt.Sprintf("/api/t/models?makeId=%s&year=%d", url.QueryEscape(makes[0].ID), y))
	models := v.Models(engine.Filter{Year: y, MakeID: makes[0].ID})
	if len(models) == 0 {
		return paths
	}
	paths = append(paths, fmt.Sprintf("/api/t/vehicles?modelId=%s&year=%d", url.QueryEscape(models[0].ID), y))
	vs := v.Vehicles(engine.Filter{Year: y, ModelID: models[0].ID})
	if len(vs) == 0 {
		return paths
	}
	return append(paths, fmt.Sprintf("/api/t/parts?vehicleId=%s&limit=5", url.QueryEscape(vs[0].ID)))
}

// demoPart is a part the tenant sells with a tracked stock, for the feed example.
func demoPart(v *engine.View) (pn string, stock int64, ok bool) {
	items, _, _ := v.Items(engine.ItemQuery{Limit: 1, Stock: ptr(true), Active: ptr(true)})
	if len(items) == 0 {
		return "", 0, false
	}
	return items[0].PartNumber, *items[0].Stock, true
}

func ptr[T any](x T) *T { return &x }
