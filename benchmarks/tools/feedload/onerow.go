package main

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"
)

const priceFeedPath = "/api/integrations/price-feed"

func appendCents(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	if c := cents % 100; c < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, cents%100, 10)
}

func (e *env) onerow() error {
	if e.o.adminToken == "" {
		return errors.New("onerow needs the admin token: --admin-token or FITMENT_ADMIN_TOKEN")
	}
	readStart := time.Now()
	pns, brands, err := e.catalogParts()
	if err != nil {
		return err
	}
	note("onerow: catalog has %s parts of %d brands (read in %v)", commas(int64(len(pns))), len(brands), time.Since(readStart).Round(time.Millisecond))
	admin := [2]string{"Authorization", "Bearer " + e.o.adminToken}
	var created struct {
		ID             string `json:"id"`
		PublishableKey string `json:"publishableKey"`
		SecretKey      string `json:"secretKey"`
	}
	name := "feedload onerow " + time.Now().UTC().Format(time.RFC3339)
	if err := e.do("POST", "/api/admin/tenants", admin,
		map[string]string{"name": name, "type": "RETAIL", "currency": "EUR", "language": "en"}, 201, &created); err != nil {
		return err
	}
	pk, sk := created.PublishableKey, created.SecretKey
	secret := [2]string{"X-API-Key", sk}

	subStart := time.Now()
	for _, b := range brands {
		if err := e.do("PUT", "/api/app/subscriptions/"+url.PathEscape(b), secret, nil, 200, nil); err != nil {
			return err
		}
	}
	subTime := time.Since(subStart)

	// Every part priced: the tenant's offers then hold one entry per catalog part.
	prices := make([]int64, len(pns))
	for i := range prices {
		prices[i] = 500 + int64(i*37%90_000)
	}
	priceStart := time.Now()
	var batchLat []time.Duration
	updated, batches := 0, 0
	notFound := map[string]bool{}
	for off := 0; off < len(pns); off += e.o.batch {
		n := min(e.o.batch, len(pns)-off)
		var body []byte
		rowsBody(&body, "json", "price", n, func(i int) (string, []byte) {
			return pns[off+i], appendCents(nil, prices[off+i])
		})
		res := e.post(priceFeedPath, sk, contentType("json"), body)
		if !res.ok() {
			return fmt.Errorf("price feed rows %d..%d: %v", off+1, off+n, res)
		}
		batches++
		batchLat = append(batchLat, res.elapsed)
		updated += res.res.Updated
		for _, pn := range res.res.NotFound {
			notFound[pn] = true
		}
		if len(res.res.Rejected) > 0 {
			note("onerow: price feed rows %d..%d: %d rejected", off+1, off+n, len(res.res.Rejected))
		}
	}
	priceTime := time.Since(priceStart)
	var info struct {
		Counts *struct {
			VisibleParts int `json:"visibleParts"`
			Offers       int `json:"offers"`
		} `json:"counts"`
	}
	if err := e.do("GET", "/api/admin/tenants/"+url.PathEscape(created.ID), admin, nil, 200, &info); err != nil {
		return err
	}
	visible, offers := -1, -1
	if info.Counts != nil {
		visible, offers = info.Counts.VisibleParts, info.Counts.Offers
	}
	note("onerow: tenant %s: %d brands subscribed in %v; %s prices fed in %d requests in %v (%s; each p50 %s, max %s); %d not found; the tenant now has %s visible parts and %s offers",
		created.ID, len(brands), subTime.Round(time.Millisecond), commas(int64(updated)), batches, priceTime.Round(time.Millisecond),
		rate(int64(updated), priceTime), ms(median(batchLat)), ms(quantile(batchLat, 1)), len(notFound), commas(int64(visible)), commas(int64(offers)))
	var candidates []int
	for i, pn := range pns {
		if !notFound[pn] {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return errors.New("no catalog part could be priced for the new tenant")
	}

	var years []int
	_, etagBefore, err := e.getJSON(pk, "/api/t/years", "", &years)
	if err != nil {
		return err
	}
	// A second read, so the answer is certainly kept before the changes start.
	if _, _, err := e.getJSON(pk, "/api/t/years", "", nil); err != nil {
		return err
	}

	var durable, vis []time.Duration
	shown, failed := 0, 0
	firstBad := ""
	deadline := time.Now().Add(e.o.duration)
	for time.Now().Before(deadline) {
		k := candidates[e.rng.IntN(len(candidates))]
		prices[k] += 1 + int64(e.rng.IntN(999))
		body := append([]byte(`[{"partNumber":`), appendJSONString(nil, pns[k])...)
		body = append(body, `,"price":`...)
		body = append(appendCents(body, prices[k]), "}]"...)
		start := time.Now()
		res := e.post(priceFeedPath, sk, contentType("json"), body)
		if !res.ok() || res.res.Updated != 1 {
			failed++
			if firstBad == "" {
				firstBad = fmt.Sprintf("POST %s: %v (updated %d)", pns[k], res, res.res.Updated)
			}
			continue
		}
		d, status, err := e.getPart(pk, pns[k])
		el := time.Since(start)
		durable, vis = append(durable, res.elapsed), append(vis, el)
		got := int64(-1)
		if d.Price != nil {
			if f, perr := d.Price.Float64(); perr == nil {
				got = int64(math.Round(f * 100))
			}
		}
		if err == nil && status == 200 && got == prices[k] {
			shown++
		} else if firstBad == "" {
			firstBad = fmt.Sprintf("GET %s: status %d, price %d cents, want %d (%v)", pns[k], status, got, prices[k], err)
		}
	}

	_, etagAfter, err := e.getJSON(pk, "/api/t/years", "", nil)
	if err != nil {
		return err
	}
	status304, _, err := e.getJSON(pk, "/api/t/years", etagBefore, nil)
	if err != nil {
		return err
	}
	if firstBad != "" {
		note("onerow: first problem: %s", firstBad)
	}
	note("onerow: %d one-row price changes in %s; %d failed; GET /api/t/years ETag before %s, after %s; If-None-Match(before) → %d",
		len(durable), e.o.duration, failed, etagBefore, etagAfter, status304)

	items := fmt.Sprintf("tenant with %s activated items", commas(int64(visible)))
	row(fmt.Sprintf("one-row setup: subscribe %d brands, price-feed %s parts in %s-row requests", len(brands), commas(int64(updated)), commas(int64(e.o.batch))),
		fmt.Sprintf("%s items visible, %s priced; subscriptions %.1f s; prices %.1f s (%s; each request p50 %s)", commas(int64(visible)), commas(int64(offers)),
			subTime.Seconds(), priceTime.Seconds(), rate(int64(updated), priceTime), ms(median(batchLat))), "—")
	fail := ""
	if failed > 0 {
		fail = fmt.Sprintf("; **%d failed**", failed)
	}
	row("one-row price change, "+items+", durable (200)",
		fmt.Sprintf("p50 **%s**, p99 %s (%d changes in %s)%s", ms(median(durable)), ms(quantile(durable, 0.99)), len(durable), e.o.duration, fail), "≤ 1 ms")
	row("the same, visible (200, then a GET of the part shows the new price)",
		fmt.Sprintf("p50 %s, p99 %s; %d of %d showed the new price at once", ms(median(vis)), ms(quantile(vis, 0.99)), shown, len(vis)), "≤ 1 ms")
	kept := "**no** (changed)"
	if etagAfter == etagBefore {
		kept = "yes"
	}
	row("cached cascade answer across the price changes (GET /api/t/years)",
		fmt.Sprintf("ETag kept: %s; If-None-Match with the earlier ETag → %d", kept, status304), "cascade answers stay cached")
	return nil
}
