package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

const feedPath = "/api/integrations/stock-feed"

// feeder is one tenant ready to feed: its keys, offers, and prepared bodies.
type feeder struct {
	t    catalogTenant
	keys tenantKeys
	pns  []string
}

func (e *env) feeders(n int) ([]feeder, error) {
	ts, err := e.pick(n)
	if err != nil {
		return nil, err
	}
	out := make([]feeder, 0, len(ts))
	for _, t := range ts {
		pns, err := e.offers(t)
		if err != nil {
			return nil, err
		}
		out = append(out, feeder{t: t, keys: e.keys[t.ID], pns: pns})
	}
	return out, nil
}

// describe names a feed's shape for the results: "100,000 rows (23,627 parts, repeated)".
func (f feeder) describe(rows int) string {
	if len(f.pns) >= rows {
		return commas(int64(rows)) + " rows"
	}
	return fmt.Sprintf("%s rows (the tenant's %s offers repeated with other stock values)", commas(int64(rows)), commas(int64(len(f.pns))))
}

// sample picks up to n distinct indices of the parts a feed of rows rows sets.
func (e *env) sample(fd feeder, rows, n int) []int {
	l := min(len(fd.pns), rows)
	seen := map[int]bool{}
	var ks []int
	for len(ks) < min(n, l) {
		if k := e.rng.IntN(l); !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	return ks
}

// checkFed reads back the fed parts ks and reports how many show the feed's stock.
func (e *env) checkFed(fd feeder, feed *stockFeed, ks []int) (okN, tried int, firstBad string) {
	for _, k := range ks {
		tried++
		d, status, err := e.getPart(fd.keys.publishable, fd.pns[k])
		want := feed.expect(k)
		switch {
		case err != nil:
			if firstBad == "" {
				firstBad = fmt.Sprintf("%s: %v", fd.pns[k], err)
			}
		case status != 200 || d.Stock == nil || *d.Stock != want:
			if firstBad == "" {
				got := "null"
				if d.Stock != nil {
					got = fmt.Sprint(*d.Stock)
				}
				firstBad = fmt.Sprintf("%s: stock %s, want %d", fd.pns[k], got, want)
			}
		default:
			okN++
		}
	}
	return okN, tried, firstBad
}

func (e *env) single() error {
	fds, err := e.feeders(1)
	if err != nil {
		return err
	}
	fd := fds[0]
	var durable, visible []time.Duration
	checked, shown, failed := 0, 0, 0
	var size int
	for r := range e.o.runs {
		feed := newStockFeed(e.o.format, fd.pns, e.o.rows, 1000+r)
		size = len(feed.body)
		ks := e.sample(fd, feed.rows, e.o.check)
		start := time.Now()
		res := e.post(feedPath, fd.keys.secret, feed.ctype, feed.body)
		if !res.ok() {
			failed++
			note("single run %d: %v after %v", r+1, res, res.elapsed)
			continue
		}
		ok, tried, bad := e.checkFed(fd, feed, ks)
		vis := time.Since(start)
		durable, visible = append(durable, res.elapsed), append(visible, vis)
		checked, shown = checked+tried, shown+ok
		note("single run %d: tenant %s, %d rows, %s body: 200 in %v (updated %d, notFound %d, rejected %d, X-Change-Seq %s); %d/%d read back with the new stock in %v%s",
			r+1, fd.t.ID, feed.rows, mb(size), res.elapsed.Round(time.Microsecond), res.res.Updated, len(res.res.NotFound), len(res.res.Rejected),
			res.seq, ok, tried, vis.Round(time.Microsecond), ifBad(bad))
		if res.res.Updated != feed.rows || len(res.res.NotFound) > 0 || len(res.res.Rejected) > 0 {
			note("single run %d: WARNING: the answer does not count every row as updated", r+1)
		}
	}
	what := fmt.Sprintf("stock feed in one request: %s, tenant %s, %s %s body", fd.describe(e.o.rows), fd.t.ID, mb(size), strings.ToUpper(e.o.format))
	if len(durable) == 0 {
		row(what+", durable (200)", fmt.Sprintf("**failed**: %d of %d runs non-200 (see log)", failed, e.o.runs), "≤ 1 s")
		return nil
	}
	m := median(durable)
	row(what+", durable (200)", fmt.Sprintf("median **%s** (%d runs: %s), %s%s", ms(m), len(durable), msList(durable), rate(int64(e.o.rows), m), failedNote(failed)), "≤ 1 s")
	row("the same, visible (200, then GETs of fed parts show the new stock)", fmt.Sprintf("median %s; %d of %d parts read back showed the new stock at once", ms(median(visible)), shown, checked), "≤ 1 s, visible at once")
	return nil
}

func ifBad(s string) string {
	if s == "" {
		return ""
	}
	return " — NOT VISIBLE: " + s
}

func failedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; **%d runs failed**", n)
}

// loopStats is what a feeding loop measured.
type loopStats struct {
	lat    []time.Duration
	rows   int64
	failed int
	first  string // first failure
	span   time.Duration
}

// loop posts the feeder's prepared feeds in turn until ctx is done; the feed in flight
// then finishes and counts.
func (e *env) loop(ctx context.Context, fd feeder, feeds []*stockFeed) loopStats {
	var st loopStats
	start := time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		f := feeds[i%len(feeds)]
		res := e.post(feedPath, fd.keys.secret, f.ctype, f.body)
		if !res.ok() {
			st.failed++
			if st.first == "" {
				st.first = res.String()
			}
			time.Sleep(100 * time.Millisecond) // do not spin on a failing server
			continue
		}
		st.lat = append(st.lat, res.elapsed)
		st.rows += int64(f.rows)
	}
	st.span = time.Since(start)
	return st
}

// prepare makes two feeds of rows rows with different values, so each feed changes
// every part.
func (e *env) prepare(fd feeder, rows, salt int) []*stockFeed {
	return []*stockFeed{newStockFeed(e.o.format, fd.pns, rows, 2000+salt), newStockFeed(e.o.format, fd.pns, rows, 3000+salt)}
}

func failures(st loopStats) string {
	if st.failed == 0 {
		return ""
	}
	return fmt.Sprintf("; **%d feeds failed** (first: %s)", st.failed, st.first)
}

func (e *env) sustained() error {
	fds, err := e.feeders(e.o.feeders)
	if err != nil {
		return err
	}
	feeds := make([][]*stockFeed, len(fds))
	for i, fd := range fds {
		feeds[i] = e.prepare(fd, e.o.rows, i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.o.duration)
	defer cancel()
	sts := make([]loopStats, len(fds))
	cpu := e.serverCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for i, fd := range fds {
		wg.Add(1)
		go func() { defer wg.Done(); sts[i] = e.loop(ctx, fd, feeds[i]) }()
	}
	wg.Wait()
	el := time.Since(start)
	cpuUse := cpu()
	var all loopStats
	for i, st := range sts {
		note("sustained: tenant %s: %d feeds, %s rows, p50 %s, max %s%s", fds[i].t.ID, len(st.lat), commas(st.rows), ms(median(st.lat)), ms(quantile(st.lat, 1)), failures(st))
		all.lat = append(all.lat, st.lat...)
		all.rows += st.rows
		all.failed += st.failed
		if all.first == "" {
			all.first = st.first
		}
	}
	who := "1 tenant"
	if len(fds) > 1 {
		who = fmt.Sprintf("%d tenants at once", len(fds))
	}
	row(fmt.Sprintf("sustained stock feeds, %s-row requests back to back, %s, %s", commas(int64(e.o.rows)), who, e.o.duration),
		fmt.Sprintf("**%s** (%d feeds in %.1f s; each p50 %s, p99 %s%s)%s", rate(all.rows, el), len(all.lat), el.Seconds(), ms(median(all.lat)), ms(quantile(all.lat, 0.99)), cpuUse, failures(all)),
		"≥ 200,000 rows/s")
	return nil
}

func (e *env) ten() error {
	e.o.tenant = ""
	fds, err := e.feeders(e.o.count)
	if err != nil {
		return err
	}
	feeds := make([][]*stockFeed, len(fds))
	for i, fd := range fds {
		feeds[i] = e.prepare(fd, e.o.rows, i)
	}
	alone := make([]loopStats, len(fds))
	cpuAlone := e.serverCPU()
	for i, fd := range fds {
		ctx, cancel := context.WithTimeout(context.Background(), e.o.alone)
		alone[i] = e.loop(ctx, fd, feeds[i])
		cancel()
	}
	aloneCPU := cpuAlone()
	ctx, cancel := context.WithTimeout(context.Background(), e.o.duration)
	defer cancel()
	together := make([]loopStats, len(fds))
	cpuTogether := e.serverCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for i, fd := range fds {
		wg.Add(1)
		go func() { defer wg.Done(); together[i] = e.loop(ctx, fd, feeds[i]) }()
	}
	wg.Wait()
	el := time.Since(start)
	togetherCPU := cpuTogether()

	note("ten: per tenant, %s-row stock feeds (%s each alone, then all %d at once for %s):", commas(int64(e.o.rows)), e.o.alone, len(fds), e.o.duration)
	note("| tenant | offers | alone: feeds, median | at once: feeds, median, p99 | ratio |")
	note("|---|---|---|---|---|")
	var ratios []float64
	var aloneRows int64
	var aloneSpan time.Duration
	var totalRows int64
	failed := 0
	for i, fd := range fds {
		a, t := alone[i], together[i]
		r := float64(median(t.lat)) / float64(median(a.lat))
		if len(a.lat) == 0 || len(t.lat) == 0 {
			r = 0
		}
		ratios = append(ratios, r)
		aloneRows += a.rows
		aloneSpan += a.span
		totalRows += t.rows
		failed += a.failed + t.failed
		note("| %s | %s | %d, %s | %d, %s, %s | %.2f× |%s%s", fd.t.ID, commas(int64(len(fd.pns))), len(a.lat), ms(median(a.lat)),
			len(t.lat), ms(median(t.lat)), ms(quantile(t.lat, 0.99)), r, failures(a), failures(t))
	}
	worst, best := 0.0, 0.0
	for i, r := range ratios {
		if i == 0 || r > worst {
			worst = r
		}
		if i == 0 || r < best {
			best = r
		}
	}
	within := 0
	for _, r := range ratios {
		if r > 0 && r <= 2 {
			within++
		}
	}
	fail := ""
	if failed > 0 {
		fail = fmt.Sprintf("; **%d feeds failed**", failed)
	}
	row(fmt.Sprintf("%d tenants feeding at once (%s-row stock feeds, %s), per-tenant median latency at once ÷ alone", len(fds), commas(int64(e.o.rows)), e.o.duration),
		fmt.Sprintf("**%.2f×** worst, %.2f× best; %d of %d tenants within 2×%s", worst, best, within, len(fds), fail),
		"each within 2× of feeding alone")
	row("the same, all tenants' rows together", fmt.Sprintf("%s at once%s vs %s one tenant alone (mean over the tenants%s)", rate(totalRows, el), togetherCPU, rate(aloneRows, aloneSpan), aloneCPU),
		"no tenant's write waits on another's")
	return nil
}

func (e *env) background(ctx context.Context) error {
	fds, err := e.feeders(1)
	if err != nil {
		return err
	}
	fd := fds[0]
	feeds := e.prepare(fd, e.o.rows, 7)
	note("background: feeding %s (%s) until signalled", fd.t.ID, fd.describe(e.o.rows))
	cpu := e.serverCPU()
	st := e.loop(ctx, fd, feeds)
	cpuUse := cpu()
	row(fmt.Sprintf("background stock feeds during the read run: %s-row requests back to back, tenant %s", commas(int64(e.o.rows)), fd.t.ID),
		fmt.Sprintf("%s (%d feeds in %.1f s; each p50 %s, p99 %s%s)%s", rate(st.rows, st.span), len(st.lat), st.span.Seconds(), ms(median(st.lat)), ms(quantile(st.lat, 0.99)), cpuUse, failures(st)),
		"—")
	return nil
}
