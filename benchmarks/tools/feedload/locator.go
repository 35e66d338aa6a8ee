package main

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The locator mode builds a stock network the size issue 6 asks the locator to be fast at,
// on the running server, through the API: a manufacturer with --dealers dealers, half its
// own stores (location stock) and half the shops of --resellers reseller tenants that share
// their stock with it (half EXACT, half BUCKET). Three parts of its brand are held by 1 %,
// 10 % and 50 % of the dealers. It writes one paths file per part (--out): 10,000 locator
// requests from random points in Europe, for rotate.lua. Then it times location-stock feeds
// of --rows rows (--runs times), durable and visible.

const (
	locationFeedPath = "/api/integrations/location-stock-feed"
	locatorRequests  = 10_000
	setupWorkers     = 8
)

// holdShares are the fractions of dealers holding each measured part.
var holdShares = []float64{0.01, 0.10, 0.50}

type created struct {
	ID             string `json:"id"`
	PublishableKey string `json:"publishableKey"`
	SecretKey      string `json:"secretKey"`
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// europe is a point around one of a few dozen city-like centres: dealers cluster as shops do.
type europe struct {
	centres [][2]float64
	rng     *rand.Rand
}

func newEurope(rng *rand.Rand) *europe {
	eu := &europe{rng: rng}
	for range 60 {
		eu.centres = append(eu.centres, [2]float64{38 + rng.Float64()*30, -8 + rng.Float64()*36})
	}
	return eu
}

func (eu *europe) point() (lat, lng float64) {
	c := eu.centres[eu.rng.IntN(len(eu.centres))]
	return math.Max(-89, math.Min(89, c[0]+eu.rng.NormFloat64()*0.8)), c[1] + eu.rng.NormFloat64()*1.2
}

// holds reports whether dealer (or reseller) i holds part k: a fixed pseudo-random draw.
func holds(i, k int) bool {
	h := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(k+1)*0xC2B2AE3D27D4EB4F
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	return float64(h%1_000_000)/1_000_000 < holdShares[k]
}

func (e *env) locator() error {
	if e.o.adminToken == "" {
		return errors.New("locator needs the admin token: --admin-token or FITMENT_ADMIN_TOKEN")
	}
	if e.o.out == "" {
		return errors.New("locator needs --out, the directory for its paths files")
	}
	pns, brands, brandOf, err := e.catalogPartBrands()
	if err != nil {
		return err
	}
	// The brand with the most parts: it has enough for the measured parts and the feeds.
	count := make([]int, len(brands))
	for _, b := range brandOf {
		count[b]++
	}
	brand := 0
	for b := range count {
		if count[b] > count[brand] {
			brand = b
		}
	}
	var parts []string
	for i, pn := range pns {
		if brandOf[i] == brand {
			parts = append(parts, pn)
		}
	}
	if len(parts) < 100 {
		return fmt.Errorf("the largest brand, %s, has %d parts: want 100 or more", brands[brand], len(parts))
	}
	measured := parts[:len(holdShares)]
	feedParts := parts[len(holdShares):]
	admin := [2]string{"Authorization", "Bearer " + e.o.adminToken}
	stamp := time.Now().UTC().Format("20060102T150405")
	setupStart := time.Now()

	var maker created
	if err := e.do("POST", "/api/admin/tenants", admin, map[string]string{"name": "Locator bench maker " + stamp,
		"type": "MANUFACTURER", "currency": "EUR", "language": "en"}, 201, &maker); err != nil {
		return err
	}
	makerKey := [2]string{"X-API-Key", maker.SecretKey}
	subscribe := "/api/app/subscriptions/" + url.PathEscape(brands[brand])
	if err := e.do("PUT", subscribe, makerKey, nil, 200, nil); err != nil {
		return err
	}
	resellers := make([]created, e.o.resellers)
	err = parallel(len(resellers), setupWorkers, func(r int) error {
		if err := e.do("POST", "/api/admin/tenants", admin, map[string]string{"name": fmt.Sprintf("Locator bench reseller %d %s", r, stamp),
			"type": "RESELLER", "currency": "EUR", "language": "en"}, 201, &resellers[r]); err != nil {
			return err
		}
		key := [2]string{"X-API-Key", resellers[r].SecretKey}
		if err := e.do("PUT", subscribe, key, nil, 200, nil); err != nil {
			return err
		}
		var rows []map[string]any
		for k, pn := range measured {
			if holds(r, k) {
				rows = append(rows, map[string]any{"partNumber": pn, "stock": 1 + (r*7+k)%20})
			}
		}
		if len(rows) > 0 {
			if err := e.do("POST", feedPath, key, rows, 200, nil); err != nil {
				return err
			}
		}
		grant := map[string]any{"precision": "EXACT"}
		if r%2 == 1 {
			grant = map[string]any{"precision": "BUCKET", "lowThreshold": 3}
		}
		return e.do("PUT", "/api/app/stock-sharing/"+url.PathEscape(maker.ID), key, grant, 200, nil)
	})
	if err != nil {
		return err
	}
	// The dealers: even ones the maker's own stores, odd ones reseller shops.
	eu := newEurope(rand.New(rand.NewPCG(e.o.seed, 0x10ca7e)))
	locs := make([]map[string]any, e.o.dealers)
	var stock []map[string]any
	for i := range locs {
		lat, lng := eu.point()
		l := map[string]any{"code": fmt.Sprintf("D%05d", i), "name": fmt.Sprintf("Dealer %05d", i), "country": "Europe", "lat": lat, "lng": lng}
		if i%2 == 1 && len(resellers) > 0 {
			l["linkedTenantId"] = resellers[(i/2)%len(resellers)].ID
		} else {
			for k, pn := range measured {
				if holds(len(resellers)+i, k) {
					stock = append(stock, map[string]any{"location": l["code"], "partNumber": pn, "stock": 1 + i%15})
				}
			}
		}
		locs[i] = l
	}
	if err := e.do("PUT", "/api/app/locations", makerKey, locs, 200, nil); err != nil {
		return err
	}
	if err := e.do("POST", locationFeedPath, makerKey, stock, 200, nil); err != nil {
		return err
	}
	setup := time.Since(setupStart)

	// How many dealers hold each part, as the engine will see it.
	held := make([]int, len(measured))
	for i := range locs {
		for k := range measured {
			if i%2 == 1 && len(resellers) > 0 {
				if holds((i/2)%len(resellers), k) {
					held[k]++
				}
			} else if holds(len(resellers)+i, k) {
				held[k]++
			}
		}
	}
	if err := os.MkdirAll(e.o.out, 0o755); err != nil {
		return err
	}
	for k, pn := range measured {
		var b strings.Builder
		for range locatorRequests {
			lat, lng := eu.point()
			fmt.Fprintf(&b, "%s\t/api/t/dealers/stock?partNumber=%s&lat=%.4f&lng=%.4f&limit=10\n", maker.PublishableKey, url.QueryEscape(pn), lat, lng)
		}
		name := filepath.Join(e.o.out, fmt.Sprintf("nearby-%g.paths", holdShares[k]*100))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return err
		}
		// A sample answer, to show the run measures real lists.
		var sample []map[string]any
		q := strings.SplitN(strings.SplitN(b.String(), "\n", 2)[0], "\t", 2)[1]
		if _, _, err := e.getJSON(maker.PublishableKey, q, "", &sample); err != nil {
			return err
		}
		note("locator: %s: part %s held by %d of %d dealers (%.1f %%); first request returns %d dealers", name, pn, held[k], len(locs),
			100*float64(held[k])/float64(len(locs)), len(sample))
	}
	row(fmt.Sprintf("locator network: %s dealers of tenant %s (half own stores with location stock, half shops of %s resellers sharing with it, half EXACT half BUCKET)",
		commas(int64(len(locs))), maker.ID, commas(int64(len(resellers)))), fmt.Sprintf("built through the API in %v", setup.Round(time.Millisecond)), "—")
	return e.locationFeeds(maker, locs, feedParts)
}

// locationFeeds times location-stock feeds of --rows rows over the maker's own stores.
func (e *env) locationFeeds(maker created, locs []map[string]any, pns []string) error {
	var own []string
	for i := 0; i < len(locs); i += 2 {
		own = append(own, locs[i]["code"].(string))
	}
	per := max(1, e.o.rows/len(own)) // parts per store
	if per > len(pns) {
		per = len(pns)
	}
	var durable, visible []time.Duration
	var size int
	for r := range e.o.runs {
		var b []byte
		b = append(b, "location,partNumber,stock\n"...)
		for i := range e.o.rows {
			b = append(b, own[(i/per)%len(own)]...)
			b = append(b, ',')
			b = appendCSV(b, pns[i%per])
			b = append(b, ',')
			b = strconv.AppendInt(b, int64((i+r*31)%50), 10)
			b = append(b, '\n')
		}
		size = len(b)
		start := time.Now()
		res := e.post(locationFeedPath, maker.SecretKey, "text/csv", b)
		if !res.ok() {
			return fmt.Errorf("location-stock feed run %d: %v", r+1, res)
		}
		// Visible: the last row's store lists the stock just written.
		last := e.o.rows - 1
		code, pn := own[(last/per)%len(own)], pns[last%per]
		want := int64((last + r*31) % 50)
		var page struct {
			Items []struct {
				PartNumber string `json:"partNumber"`
				Stock      int64  `json:"stock"`
			} `json:"items"`
		}
		if err := e.do("GET", "/api/app/locations/"+url.PathEscape(code)+"/stock?limit=1000", [2]string{"X-API-Key", maker.SecretKey}, nil, 200, &page); err != nil {
			return err
		}
		seen := false
		for _, it := range page.Items {
			seen = seen || it.PartNumber == pn && it.Stock == want
		}
		vis := time.Since(start)
		if !seen {
			return fmt.Errorf("location-stock feed run %d: store %s does not list %s at %d right after the 200", r+1, code, pn, want)
		}
		durable, visible = append(durable, res.elapsed), append(visible, vis)
		note("location feed run %d: %d rows over %d stores, %s: 200 in %v (updated %d, rejected %d), visible in %v", r+1, e.o.rows,
			(e.o.rows+per-1)/per, mb(size), res.elapsed.Round(time.Microsecond), res.res.Updated, len(res.res.Rejected), vis.Round(time.Microsecond))
		if res.res.Updated != e.o.rows {
			note("location feed run %d: WARNING: updated %d of %d rows", r+1, res.res.Updated, e.o.rows)
		}
	}
	m := median(durable)
	row(fmt.Sprintf("location-stock feed in one request: %s rows over %d stores, %s CSV body, durable (200)", commas(int64(e.o.rows)), (e.o.rows+per-1)/per, mb(size)),
		fmt.Sprintf("median **%s** (%d runs: %s), %s", ms(m), len(durable), msList(durable), rate(int64(e.o.rows), m)), "≤ 1 s")
	row("the same, visible (200, then the store's stock listed)", "median "+ms(median(visible)), "visible at once")
	return nil
}
