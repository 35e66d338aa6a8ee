package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/gen"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

func init() {
	commands["demo"] = command{summary: "create the generated demo tenants in a data directory", run: runDemo}
}

// demoKeysFile lists the keys of the tenants demo created: keys are shown only once, at
// creation, so later runs print them from here.
const demoKeysFile = "demo-keys.txt"

func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	catalog := fs.String("catalog", "", "generated catalog `directory` (holds tenants.json)")
	data := fs.String("data", "", "fitmentd data `directory` (tenant store)")
	snap := fs.String("snapshot", "", "snapshot `file`, to print curl lines with real ids (optional)")
	base := fs.String("url", "http://127.0.0.1:8080", "base URL for the printed curl lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *catalog == "" || *data == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("--catalog and --data are required")
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

	var cat *snapshot.Catalog
	var info snapshot.Info
	if *snap != "" {
		if cat, info, err = snapshot.Open(*snap); err != nil {
			return err
		}
	}

	store, err := tenant.Open(*data)
	if err != nil {
		return err
	}
	defer store.Close()
	created, err := createDemoTenants(store, tenants, filepath.Join(*data, demoKeysFile))
	if err != nil {
		return err
	}
	keys, err := readDemoKeys(filepath.Join(*data, demoKeysFile))
	if err != nil {
		return err
	}
	fmt.Printf("demo: %d tenants in %s (%d created now); all keys in %s\n", len(tenants), *data, created, filepath.Join(*data, demoKeysFile))
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

	first := tenants[0]
	key := "PUBLISHABLE_KEY"
	if k, ok := keys[first.ID]; ok {
		key = k.Publishable
	}
	st, err := store.State(first.ID)
	if err != nil {
		return err
	}
	fmt.Printf("\nTry the storefront API as %s (%s) once fitmentd runs:\n", first.Name, first.ID)
	for _, path := range demoPaths(cat, info, first.ID, st) {
		fmt.Printf("curl -s -H 'X-API-Key: %s' '%s%s'\n", key, strings.TrimSuffix(*base, "/"), path)
	}
	return nil
}

// createDemoTenants creates the tenants not yet in the store, with their subscriptions and
// items, and appends their keys to keysPath. Existing tenants are left alone, so running
// demo twice changes nothing.
func createDemoTenants(store *tenant.Store, tenants []gen.Tenant, keysPath string) (int, error) {
	created := 0
	for _, gt := range tenants {
		if _, ok := store.Get(gt.ID); ok {
			continue
		}
		t, keys, err := store.Create(tenant.Tenant{ID: gt.ID, Name: gt.Name, Type: gt.Type, Currency: gt.Currency, Language: gt.Language})
		if err != nil {
			return created, fmt.Errorf("tenant %s: %w", gt.ID, err)
		}
		// The keys are known only now: write them down before anything else can fail.
		if err := appendDemoKeys(keysPath, t, keys); err != nil {
			return created, err
		}
		created++
		for _, b := range gt.Brands {
			if _, err := store.Subscribe(t.ID, b); err != nil {
				return created, fmt.Errorf("tenant %s: subscribe %s: %w", t.ID, b, err)
			}
		}
		ups := make([]tenant.ItemUpdate, 0, len(gt.Activate)+len(gt.Deactivate))
		add := func(pns []string, active bool) {
			for _, pn := range pns {
				a := active
				ups = append(ups, tenant.ItemUpdate{PartNumber: pn, SetActive: true, Active: &a})
			}
		}
		add(gt.Activate, true)
		add(gt.Deactivate, false)
		if len(ups) > 0 {
			if _, err := store.UpdateItems(t.ID, ups); err != nil {
				return created, fmt.Errorf("tenant %s: items: %w", t.ID, err)
			}
		}
	}
	return created, nil
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

// demoPaths walks the cascade of one tenant to real ids when a snapshot is at hand, and
// otherwise gives the cascade with placeholders to fill from the previous answer.
func demoPaths(cat *snapshot.Catalog, info snapshot.Info, id string, st engine.TenantState) []string {
	paths := []string{"/api/t/years"}
	if cat != nil {
		e := engine.New()
		e.SetTenant(id, st)
		e.Load(cat, info.Version())
		if v, err := e.View(id); err == nil {
			if years := v.Years(engine.Filter{}); len(years) > 0 {
				y := years[0]
				paths = append(paths, fmt.Sprintf("/api/t/makes?year=%d", y))
				if makes := v.Makes(engine.Filter{Year: y}); len(makes) > 0 {
					paths = append(paths, fmt.Sprintf("/api/t/models?makeId=%s&year=%d", url.QueryEscape(makes[0].ID), y))
					if models := v.Models(engine.Filter{Year: y, MakeID: makes[0].ID}); len(models) > 0 {
						paths = append(paths, fmt.Sprintf("/api/t/vehicles?modelId=%s&year=%d", url.QueryEscape(models[0].ID), y))
						if vs := v.Vehicles(engine.Filter{Year: y, ModelID: models[0].ID}); len(vs) > 0 {
							paths = append(paths, fmt.Sprintf("/api/t/parts?vehicleId=%s&limit=5", url.QueryEscape(vs[0].ID)))
							return paths
						}
					}
				}
			}
		}
		paths = paths[:1]
	}
	return append(paths,
		"/api/t/makes?year=YEAR",
		"/api/t/models?makeId=MAKE_ID&year=YEAR",
		"/api/t/vehicles?modelId=MODEL_ID&year=YEAR",
		"/api/t/parts?vehicleId=VEHICLE_ID&limit=5")
}
