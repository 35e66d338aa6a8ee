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
	commands["demo"] = command{summary: "create the generated demo tenants, with their own parts, prices, stock, aliases, stores, dealers and grants, in a data directory", run: runDemo}
}

// demoKeysFile lists the keys of the tenants demo created: keys are shown only once, at
// creation, so later runs print them from here.
const demoKeysFile = "demo-keys.txt"

// feedBatch is how many offer rows go into one journal record while loading;
// locationBatch how many location-stock rows, partBatch how many own parts.
const (
	feedBatch     = 50_000
	locationBatch = 10_000
	partBatch     = 1_000
)

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
	return demo(os.Stdout, *catalog, *data, *snap, *base)
}

// demo creates and loads the tenants of catalog's tenants.json in the data directory and
// prints their keys and curl lines to w.
func demo(w io.Writer, catalog, data, snap, base string) error {
	raw, err := os.ReadFile(filepath.Join(catalog, "tenants.json"))
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
	cat, info, err := snapshot.Open(snap)
	if err != nil {
		return err
	}
	eng := engine.New()
	eng.Load(cat, info.Version())

	store, err := tenant.Open(data, tenant.DefaultOptions())
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Attach(eng); err != nil {
		return err
	}
	start := time.Now()
	ld, err := createDemoTenants(store, catalog, tenants, filepath.Join(data, demoKeysFile))
	if err != nil {
		return err
	}
	// A checkpoint now, so that fitmentd starts without replaying what was loaded here.
	if err := store.Close(); err != nil {
		return err
	}
	keys, err := readDemoKeys(filepath.Join(data, demoKeysFile))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "demo: %d tenants in %s (%d created now, %d offers loaded in %v); all keys in %s\n",
		len(tenants), data, ld.created, ld.offers, time.Since(start).Round(time.Millisecond), filepath.Join(data, demoKeysFile))
	if ld.created > 0 {
		fmt.Fprintf(w, "  also loaded: %d own vehicles, %d own parts, %d stores, %d dealers, %d location-stock rows, %d stock-sharing grants\n",
			ld.vehicles, ld.parts, ld.stores, ld.dealers, ld.locationRows, ld.grants)
	}
	const shown = 5 // the rest are in the keys file; a wall of keys helps nobody
	for i, t := range tenants {
		if i == shown {
			fmt.Fprintf(w, "  … and %d more tenants in %s\n", len(tenants)-shown, filepath.Join(data, demoKeysFile))
			break
		}
		if k, ok := keys[t.ID]; ok {
			fmt.Fprintf(w, "  %-24s %-14s publishable %s  secret %s\n", t.ID, t.Type, k.Publishable, k.Secret)
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
	fmt.Fprintf(w, "\nTry the storefront API as %s (%s) once fitmentd runs:\n", first.Name, first.ID)
	b := strings.TrimSuffix(base, "/")
	for _, path := range demoPaths(v) {
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s%s'\n", k.Publishable, b, path)
	}
	if pn, stock, ok := demoPart(v); ok {
		fmt.Fprintf(w, "\nPush stock as the tenant's POS would (secret key); the next storefront query shows it:\n")
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' -H 'Content-Type: application/json' -d '[{\"partNumber\":%q,\"stock\":%d}]' '%s/api/integrations/stock-feed'\n",
			k.Secret, pn, stock+5, b)
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s'\n", k.Publishable, b, url.PathEscape(pn))
	}
	if len(first.Aliases) > 0 {
		a := first.Aliases[0]
		fmt.Fprintf(w, "\nA SKU alias (%s) resolves to its part:\n", a.Alias)
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s'\n", k.Publishable, b, url.PathEscape(a.Alias))
	}
	if paths := demoSearchPaths(v); len(paths) > 0 {
		fmt.Fprintf(w, "\nSearch (numbers, names in every language, typos; a vehicle named in q narrows it), type-ahead and vehicle recognition:\n")
		for _, path := range paths {
			fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s%s'\n", k.Publishable, b, path)
		}
	}
	if ex, ok := demoFitment(v); ok {
		fmt.Fprintf(w, "\nFitment for a product page (the part's vehicles, years collapsed; does it fit?) and a distributor's bulk lookup (secret key, streamed):\n")
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s/vehicles'\n", k.Publishable, b, url.PathEscape(ex.part))
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s/fits?vehicleId=%s'\n", k.Publishable, b, url.PathEscape(ex.part), url.QueryEscape(ex.vehicle))
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' -H 'Content-Type: application/json' -H 'Accept: text/csv' -d '{\"partNumbers\":[%q,\"NOPE-1\"]}' '%s/api/integrations/fitments/lookup'\n",
			k.Secret, ex.part, b)
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' -H 'Accept-Encoding: zstd' '%s/api/integrations/fitments/export?brand=%s' | zstd -dc | head -3\n",
			k.Secret, b, url.QueryEscape(ex.brand))
	}
	printNearby(w, eng, tenants, keys, b)
	printOwnPart(w, eng, tenants, keys, b)
	return nil
}

// demoFitment picks a part fitting the cascade's first vehicle whose fitment table has
// several rows, for the fitment examples.
func demoFitment(v *engine.View) (ex struct{ part, vehicle, brand string }, ok bool) {
	years := v.Years(engine.Filter{})
	if len(years) == 0 {
		return ex, false
	}
	makes := v.Makes(engine.Filter{Year: years[0]})
	if len(makes) == 0 {
		return ex, false
	}
	models := v.Models(engine.Filter{Year: years[0], MakeID: makes[0].ID})
	if len(models) == 0 {
		return ex, false
	}
	vs := v.Vehicles(engine.Filter{Year: years[0], ModelID: models[0].ID})
	if len(vs) == 0 {
		return ex, false
	}
	parts, _, err := v.Parts(vs[0].ID, engine.PartsQuery{Limit: 50})
	if err != nil || len(parts) == 0 {
		return ex, false
	}
	best := -1
	for _, p := range parts {
		if pf, err := v.PartVehicles(p.PartNumber); err == nil && len(pf.Vehicles) > best && len(pf.Vehicles) <= 6 {
			best, ex.part, ex.brand = len(pf.Vehicles), p.PartNumber, p.Brand
		}
	}
	ex.vehicle = vs[0].ID
	return ex, best > 0
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

// loaded counts what createDemoTenants created and loaded.
type loaded struct {
	created, offers                       int
	vehicles, parts                       int
	stores, dealers, locationRows, grants int
}

// createDemoTenants creates the tenants not yet in the store and appends their keys to
// keysPath, then loads each of them: own vehicles, own parts, subscriptions and
// activations, offers, aliases, locations, location stock, grants. All are created before
// any is loaded, since dealers and grants name other tenants. Tenants that existed are
// left alone, so running demo twice changes nothing. Generated data the engine refuses is
// an error naming the tenant and the file and line.
func createDemoTenants(store *tenant.Store, dir string, tenants []gen.Tenant, keysPath string) (loaded, error) {
	var ld loaded
	var fresh []gen.Tenant
	for _, gt := range tenants {
		if _, ok := store.Get(gt.ID); ok {
			continue
		}
		t, keys, err := store.Create(tenant.Tenant{ID: gt.ID, Name: gt.Name, Type: gt.Type, Currency: gt.Currency, Language: gt.Language})
		if err != nil {
			return ld, fmt.Errorf("tenant %s: %w", gt.ID, err)
		}
		// The keys are known only now: write them down before anything else can fail.
		if err := appendDemoKeys(keysPath, t, keys); err != nil {
			return ld, err
		}
		ld.created++
		fresh = append(fresh, gt)
	}
	for _, gt := range fresh {
		if err := loadTenant(store, dir, gt, &ld); err != nil {
			return ld, fmt.Errorf("tenant %s: %w", gt.ID, err)
		}
	}
	return ld, nil
}

// loadTenant loads one generated tenant's data, in the order its references need.
func loadTenant(store *tenant.Store, dir string, gt gen.Tenant, ld *loaded) error {
	id := gt.ID
	if gt.OwnVehicles != "" {
		n, err := loadOwnVehicles(store, id, filepath.Join(dir, gt.OwnVehicles))
		ld.vehicles += n
		if err != nil {
			return err
		}
	}
	if gt.OwnParts != "" {
		n, err := loadOwnParts(store, id, filepath.Join(dir, gt.OwnParts))
		ld.parts += n
		if err != nil {
			return err
		}
	}
	ch := engine.Change{Subscribe: gt.Brands, Resolve: engine.ResolveCatalog}
	for _, pn := range gt.Activate {
		ch.Items = append(ch.Items, engine.ItemUpdate{Ref: pn, SetActive: true, Active: engine.Activated})
	}
	for _, pn := range gt.Deactivate {
		ch.Items = append(ch.Items, engine.ItemUpdate{Ref: pn, SetActive: true, Active: engine.Deactivated})
	}
	out, _, err := store.Write(id, ch)
	if err != nil {
		return err
	}
	if len(out.NotFound) > 0 {
		return fmt.Errorf("tenants.json: %d activations or deactivations name no catalog part, %s first", len(out.NotFound), ch.Items[out.NotFound[0]].Ref)
	}
	if gt.Offers != "" {
		n, err := loadOffers(store, id, filepath.Join(dir, gt.Offers))
		ld.offers += n
		if err != nil {
			return err
		}
	}
	if len(gt.Aliases) > 0 {
		ch := engine.Change{}
		for _, a := range gt.Aliases {
			ch.PutAliases = append(ch.PutAliases, engine.Alias{Alias: a.Alias, PartNumber: a.PartNumber, Source: a.Source})
		}
		out, _, err := store.Write(id, ch)
		if err != nil {
			return fmt.Errorf("aliases: %w", err)
		}
		if bad := append(out.AliasNotFound, out.AliasIsPart...); len(bad) > 0 {
			return fmt.Errorf("tenants.json: %d aliases refused (no such part, or the alias is a part number), %s first", len(bad), ch.PutAliases[bad[0]].Alias)
		}
	}
	if len(gt.Locations) > 0 {
		ch := engine.Change{}
		for _, l := range gt.Locations {
			if l.LinkedTenantID != "" {
				if _, ok := store.Get(l.LinkedTenantID); !ok || l.LinkedTenantID == id {
					return fmt.Errorf("tenants.json: location %s: linkedTenantId %q is not another tenant", l.Code, l.LinkedTenantID)
				}
				ld.dealers++
			} else {
				ld.stores++
			}
			ch.PutLocations = append(ch.PutLocations, engine.Location(l))
		}
		if _, _, err := store.Write(id, ch); err != nil {
			return fmt.Errorf("locations: %w", err)
		}
	}
	if gt.LocationStock != "" {
		n, err := loadLocationStock(store, id, filepath.Join(dir, gt.LocationStock))
		ld.locationRows += n
		if err != nil {
			return err
		}
	}
	if len(gt.Grants) > 0 {
		ch := engine.Change{}
		for _, g := range gt.Grants {
			if _, ok := store.Get(g.TenantID); !ok || g.TenantID == id {
				return fmt.Errorf("tenants.json: grant to %q, which is not another tenant", g.TenantID)
			}
			if g.Precision != engine.Exact && g.Precision != engine.Bucket || g.LowThreshold < 0 {
				return fmt.Errorf("tenants.json: grant to %s: precision %q, lowThreshold %d", g.TenantID, g.Precision, g.LowThreshold)
			}
			ch.Grants = append(ch.Grants, engine.GrantChange{Tenant: g.TenantID, Grant: &engine.Grant{Precision: g.Precision, LowThreshold: g.LowThreshold}})
		}
		if _, _, err := store.Write(id, ch); err != nil {
			return fmt.Errorf("grants: %w", err)
		}
		ld.grants += len(ch.Grants)
	}
	return nil
}

// openCSV opens a generated CSV file (compressed or not) and reads its header: the index
// of every column wanted, by name as ingest compares them (case and '_' ignored).
func openCSV(path string, want ...string) (*csv.Reader, []int, io.Closer, error) {
	r, closer, err := ingest.OpenSource(path)
	if err != nil {
		return nil, nil, nil, err
	}
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		closer.Close()
		return nil, nil, nil, fmt.Errorf("%s: header: %w", path, err)
	}
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "") }
	cols := make([]int, len(want))
	for i, name := range want {
		cols[i] = -1
		for j, h := range head {
			if norm(h) == norm(name) {
				cols[i] = j
			}
		}
		if cols[i] < 0 {
			closer.Close()
			return nil, nil, nil, fmt.Errorf("%s: no column %s", path, name)
		}
	}
	return cr, cols, closer, nil
}

// loadOwnVehicles loads own/<id>-vehicles.csv (the columns of vehicles.csv) in one write.
func loadOwnVehicles(store *tenant.Store, id, path string) (int, error) {
	cr, cols, closer, err := openCSV(path, "type", "make", "model", "submodel", "years", "engine_cc", "generation")
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	var puts []engine.TenantVehicle
	var lineOf []int
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		f := make([]string, len(cols))
		for i, c := range cols {
			f[i] = strings.TrimSpace(rec[c])
		}
		vs, reason := ingest.TenantVehicles(ingest.VehicleFields{Type: f[0], Make: f[1], Model: f[2], Submodel: f[3], Years: f[4], EngineCC: f[5], Generation: f[6]})
		if reason != "" {
			return 0, fmt.Errorf("%s:%d: %s", path, line, reason)
		}
		for range vs {
			lineOf = append(lineOf, line)
		}
		puts = append(puts, vs...)
	}
	if len(puts) == 0 {
		return 0, nil
	}
	out, _, err := store.Write(id, engine.Change{PutVehicles: puts})
	if err != nil {
		return 0, err
	}
	if len(out.VehicleInCatalog) > 0 {
		v := puts[out.VehicleInCatalog[0]]
		return 0, fmt.Errorf("%s:%d: vehicle %s/%s/%s/%d is a catalog vehicle (%d such)", path, lineOf[out.VehicleInCatalog[0]], v.Make, v.Model, v.Submodel, v.Year, len(out.VehicleInCatalog))
	}
	return out.VehiclesPut, nil
}

// loadOwnParts loads own/<id>-parts.ndjson (one POST /api/app/tenant-parts object a line),
// partBatch parts a write.
func loadOwnParts(store *tenant.Store, id, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	n := 0
	var batch []ingest.TenantPart
	var lines []int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		puts := make([]engine.TenantPart, len(batch))
		for i := range batch {
			puts[i] = batch[i].TenantPart
		}
		out, _, err := store.Write(id, engine.Change{PutParts: puts})
		if err != nil {
			return err
		}
		switch {
		case len(out.PartInCatalog) > 0:
			k := out.PartInCatalog[0]
			return fmt.Errorf("%s:%d: part %s is a part number of the central catalog", path, lines[k], puts[k].PartNumber)
		case len(out.PartUnknownCategory) > 0:
			k := out.PartUnknownCategory[0]
			return fmt.Errorf("%s:%d: part %s: category %q is not in the catalog's tree", path, lines[k], puts[k].PartNumber, puts[k].Category)
		case len(out.PartUnknownFit) > 0:
			u := out.PartUnknownFit[0]
			return fmt.Errorf("%s:%d: part %s: %s: unknown vehicle (%d unknown fitments in this batch)", path, lines[u.Part], puts[u.Part].PartNumber, batch[u.Part].FitmentFrom[u.Fitment], len(out.PartUnknownFit))
		}
		n += out.PartsPut
		batch, lines = batch[:0], lines[:0]
		return nil
	}
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		p, pn, reason := ingest.ReadTenantPart(sc.Bytes())
		if reason != "" {
			return n, fmt.Errorf("%s:%d: part %s: %s", path, line, pn, reason)
		}
		batch = append(batch, p)
		lines = append(lines, line)
		if len(batch) == partBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, flush()
}

// loadLocationStock feeds a chain's feeds/<id>-locations.csv (location,part_number,stock)
// in batches, as its stores' POS would.
func loadLocationStock(store *tenant.Store, id, path string) (int, error) {
	cr, cols, closer, err := openCSV(path, "location", "part_number", "stock")
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	n := 0
	ups := make([]engine.LocationStockUpdate, 0, locationBatch)
	first := 2 // line of ups[0]
	flush := func() error {
		if len(ups) == 0 {
			return nil
		}
		out, _, err := store.Write(id, engine.Change{LocationStock: ups, Resolve: engine.ResolveActive})
		if err != nil {
			return err
		}
		if nu, na := len(out.LocationUnknown), len(out.LocationPartAbsent); nu+na > 0 {
			if nu > 0 && (na == 0 || out.LocationUnknown[0] < out.LocationPartAbsent[0]) {
				k := out.LocationUnknown[0]
				return fmt.Errorf("%s:%d: the tenant has no location %s (%d rows refused)", path, first+k, ups[k].Location, nu+na)
			}
			k := out.LocationPartAbsent[0]
			return fmt.Errorf("%s:%d: part %s is not one the tenant sells (%d rows refused)", path, first+k, ups[k].Ref, nu+na)
		}
		n += out.LocationRows
		first += len(ups)
		ups = ups[:0]
		return nil
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("%s:%d: %v (want location,part_number,stock)", path, line, err)
		}
		stock, err := strconv.ParseInt(rec[cols[2]], 10, 64)
		if err != nil || stock < 0 {
			return n, fmt.Errorf("%s:%d: stock %q", path, line, rec[cols[2]])
		}
		ups = append(ups, engine.LocationStockUpdate{Location: strings.Clone(rec[cols[0]]), Ref: strings.Clone(rec[cols[1]]), SetStock: true, Stock: stock})
		if len(ups) == locationBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
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

// demoSearchPaths are search, suggest and resolve examples built from what the tenant
// sees: a word of the name of a part fitting the cascade's first vehicle, alone and with
// that vehicle's model and year typed after it.
func demoSearchPaths(v *engine.View) []string {
	years := v.Years(engine.Filter{})
	if len(years) == 0 {
		return nil
	}
	y := years[0]
	makes := v.Makes(engine.Filter{Year: y})
	if len(makes) == 0 {
		return nil
	}
	models := v.Models(engine.Filter{Year: y, MakeID: makes[0].ID})
	if len(models) == 0 {
		return nil
	}
	vs := v.Vehicles(engine.Filter{Year: y, ModelID: models[0].ID})
	if len(vs) == 0 {
		return nil
	}
	parts, _, err := v.Parts(vs[0].ID, engine.PartsQuery{Limit: 1})
	if err != nil || len(parts) == 0 {
		return nil
	}
	word := strings.ToLower(strings.Fields(parts[0].Name + " x")[0])
	vehicle := fmt.Sprintf("%s %s %d", makes[0].Name, models[0].Name, y)
	return []string{
		"/api/t/search?q=" + url.QueryEscape(word) + "&facets=category,brand&limit=3",
		"/api/t/search?q=" + url.QueryEscape(word+" "+vehicle) + "&limit=3",
		"/api/t/suggest?q=" + url.QueryEscape(word[:min(len(word), 4)]),
		"/api/t/vehicles/resolve?q=" + url.QueryEscape(strings.ToLower(models[0].Name)+" "+strconv.Itoa(y%100)) + "&limit=3",
	}
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

// nearbyOffset moves the example's point a few km from the dealer it should find, so the
// answer shows a real distance.
const nearbyOffset = 0.02

// printNearby prints the "find it nearby" examples: a chain's dealer list, and a
// manufacturer's stock locator for a part that a sharing reseller it lists really stocks,
// checked against the engine (or, where no manufacturer has one, as tiny, the chain's own
// stores for a part one of them stocks).
func printNearby(w io.Writer, eng *engine.Engine, tenants []gen.Tenant, keys map[string]tenant.Keys, base string) {
	var chain *gen.Tenant
	for i := range tenants {
		t := &tenants[i]
		if _, ok := keys[t.ID]; ok && t.Type == gen.TypeRetail && len(t.Locations) > 0 {
			chain = t
			break
		}
	}
	type example struct {
		t        *gen.Tenant
		pn       string
		lat, lng float64
		found    []engine.DealerStock
	}
	var ex *example
	grantors := map[string]map[string]bool{} // grantee → the tenants sharing with it
	for _, t := range tenants {
		for _, g := range t.Grants {
			if grantors[g.TenantID] == nil {
				grantors[g.TenantID] = map[string]bool{}
			}
			grantors[g.TenantID][t.ID] = true
		}
	}
	for i := range tenants {
		m := &tenants[i]
		if _, ok := keys[m.ID]; !ok || m.Type != gen.TypeManufacturer || len(m.Brands) != 1 || ex != nil {
			continue
		}
		tries := 0
		for _, l := range m.Locations {
			if ex != nil || tries == 50 {
				break
			}
			if !l.Active || l.Lat == nil || l.Lng == nil || !grantors[m.ID][l.LinkedTenantID] {
				continue
			}
			tries++
			rv, err := eng.View(l.LinkedTenantID)
			if err != nil {
				continue
			}
			items, _, _ := rv.Items(engine.ItemQuery{Limit: 5, Brand: m.Brands[0], Active: ptr(true), InStock: true})
			for _, it := range items {
				lat, lng := *l.Lat+nearbyOffset, *l.Lng+nearbyOffset
				if found, err := eng.NearbyStock(m.ID, it.PartNumber, lat, lng, 10); err == nil && len(found) > 0 {
					ex = &example{m, it.PartNumber, lat, lng, found}
					break
				}
			}
		}
	}
	if ex == nil && chain != nil {
		if v, err := eng.View(chain.ID); err == nil {
			for _, l := range chain.Locations {
				if ex != nil {
					break
				}
				if !l.Active || l.Lat == nil || l.Lng == nil {
					continue
				}
				items, _, _ := v.LocationStockItems(l.Code, "", 100)
				for _, it := range items {
					lat, lng := *l.Lat+nearbyOffset, *l.Lng+nearbyOffset
					if it.Stock <= 0 {
						continue
					}
					if found, err := eng.NearbyStock(chain.ID, it.PartNumber, lat, lng, 10); err == nil && len(found) > 0 {
						ex = &example{chain, it.PartNumber, lat, lng, found}
						break
					}
				}
			}
		}
	}
	if chain == nil && ex == nil {
		return
	}
	fmt.Fprintf(w, "\nFind it nearby:\n")
	if chain != nil {
		open := 0
		for _, l := range chain.Locations {
			if l.Active {
				open++
			}
		}
		fmt.Fprintf(w, "# %s lists its %d open stores (dealer map)\n", chain.Name, open)
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/dealers'\n", keys[chain.ID].Publishable, base)
	}
	if ex != nil {
		what := "its dealers that share their stock with it"
		if ex.t.Type != gen.TypeManufacturer {
			what = "its own stores"
		}
		fmt.Fprintf(w, "# %s: the nearest of %s holding %s (%d found, the first %s, %.1f km)\n",
			ex.t.Name, what, ex.pn, len(ex.found), ex.found[0].Name, ex.found[0].DistanceKm)
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/dealers/stock?partNumber=%s&lat=%s&lng=%s'\n", keys[ex.t.ID].Publishable, base,
			url.QueryEscape(ex.pn), strconv.FormatFloat(ex.lat, 'f', 5, 64), strconv.FormatFloat(ex.lng, 'f', 5, 64))
	}
}

// printOwnPart prints the detail of a tenant's own part: one priced and in stock if there
// is one, else one priced, else any.
func printOwnPart(w io.Writer, eng *engine.Engine, tenants []gen.Tenant, keys map[string]tenant.Keys, base string) {
	for _, t := range tenants {
		k, ok := keys[t.ID]
		if !ok || t.OwnParts == "" {
			continue
		}
		v, err := eng.View(t.ID)
		if err != nil {
			continue
		}
		pn, rank := "", 0
		for _, p := range v.TenantParts() {
			d, err := v.Part(p.PartNumber, "")
			if err != nil {
				continue
			}
			r := 1
			if d.Price != nil {
				r++
				if d.Stock != nil && *d.Stock > 0 {
					r++
				}
			}
			if r > rank {
				pn, rank = p.PartNumber, r
			}
			if rank == 3 {
				break
			}
		}
		if pn == "" {
			continue
		}
		fmt.Fprintf(w, "\nA part of %s's own (not in the central catalog), with %d own vehicles:\n", t.Name, len(v.TenantVehicles()))
		fmt.Fprintf(w, "curl -s -H 'X-API-Key: %s' '%s/api/t/parts/%s'\n", k.Publishable, base, url.PathEscape(pn))
		return
	}
}
