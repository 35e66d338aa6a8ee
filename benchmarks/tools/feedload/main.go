// Command feedload measures fitmentd's write path over HTTP: stock and price feeds posted
// as a POS, ERP or WMS job would, timed to their 200 (the server fsyncs before answering,
// so that is "durable"), and checked with storefront GETs right after ("visible").
//
//	feedload --mode single     --url U --keys DATA/demo-keys.txt --catalog DIR [--rows 100000 --runs 5]
//	feedload --mode sustained  ... [--duration 30s --feeders 1]
//	feedload --mode ten        ... [--rows 10000 --duration 30s --alone 5s]
//	feedload --mode onerow     ... --admin-token T (or FITMENT_ADMIN_TOKEN) [--duration 30s]
//	feedload --mode background ... (until SIGTERM/SIGINT, or --duration)
//	feedload --mode locator    ... --admin-token T --out DIR [--dealers 20000 --resellers 1000 --rows 100000 --runs 5]
//
// Modes:
//
//   - single: one tenant (--tenant, default the one with the most offers in tenants.json)
//     posts one stock feed of --rows rows (its offers' part numbers; repeated with other
//     stock values when it has fewer), --runs times. Time to the 200, then to the 200 plus
//     GETs of --check fed parts showing the new stock.
//   - sustained: --feeders tenants post --rows-row feeds back to back for --duration.
//   - ten: the ten tenants with the most offers each post --rows-row feeds (default
//     10,000) in a loop, first each alone for --alone, then all at once for --duration;
//     per-tenant median latency at once versus alone.
//   - onerow: creates a tenant (admin API), subscribes it to every brand of the catalog and
//     price-feeds every catalog part in --batch-row requests, then changes one price at a
//     time for --duration: latency of the 200 and of the 200 plus a GET showing the new
//     price; and whether GET /api/t/years keeps its ETag (and answers 304 to it) across
//     the price changes.
//   - background: posts --rows-row stock feeds in a loop until SIGTERM or SIGINT (or
//     --duration), to load the write path while wrk measures reads; prints rows/s at the end.
//   - locator: builds a manufacturer with --dealers dealers (half its own stores, half shops
//     of --resellers resellers that share their stock with it) and three parts held by 1 %,
//     10 % and 50 % of them; writes DIR/nearby-{1,10,50}.paths (locator requests from
//     random points, for rotate.lua); then times location-stock feeds of --rows rows.
//
// Results go to stdout as Markdown table rows (| what | measured | target |) ready for
// benchmarks/RESULTS.md; per-run and per-tenant details go to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	mode       string
	url        string
	keys       string
	catalog    string
	tenant     string
	rows       int
	runs       int
	duration   time.Duration
	alone      time.Duration
	feeders    int
	count      int
	check      int
	batch      int
	format     string
	adminToken string
	seed       uint64
	pid        int
	dealers    int
	resellers  int
	out        string
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "single", "single, sustained, ten, onerow, background or locator")
	flag.StringVar(&o.url, "url", "http://127.0.0.1:18080", "fitmentd base `URL`")
	flag.StringVar(&o.keys, "keys", "", "demo-keys.txt `file` (id TAB publishable TAB secret TAB name)")
	flag.StringVar(&o.catalog, "catalog", "", "generated catalog `directory` (tenants.json, feeds/, parts.csv)")
	flag.StringVar(&o.tenant, "tenant", "", "tenant `id` to feed (single, sustained, background); default: the most offers")
	flag.IntVar(&o.rows, "rows", 0, "rows per feed (default 100,000; 10,000 in ten)")
	flag.IntVar(&o.runs, "runs", 5, "repetitions (single)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long to feed (sustained, ten, onerow; background: 0 = until signalled)")
	flag.DurationVar(&o.alone, "alone", 5*time.Second, "how long each tenant feeds alone (ten)")
	flag.IntVar(&o.feeders, "feeders", 1, "tenants feeding at once (sustained)")
	flag.IntVar(&o.count, "count", 10, "tenants (ten)")
	flag.IntVar(&o.check, "check", 5, "fed parts read back after each feed (single)")
	flag.IntVar(&o.batch, "batch", 100_000, "rows per price feed while setting up (onerow)")
	flag.StringVar(&o.format, "format", "json", "feed body: json, ndjson or csv")
	flag.StringVar(&o.adminToken, "admin-token", os.Getenv("FITMENT_ADMIN_TOKEN"), "admin `token` (onerow; default $FITMENT_ADMIN_TOKEN)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.IntVar(&o.dealers, "dealers", 20_000, "dealers of the locator's manufacturer (locator)")
	flag.IntVar(&o.resellers, "resellers", 1_000, "reseller tenants sharing stock with it (locator)")
	flag.StringVar(&o.out, "out", "", "`directory` for the locator's paths files (locator)")
	flag.IntVar(&o.pid, "pid", 0, "fitmentd's process `id`: report its CPU use (cores) per phase")
	flag.Parse()
	if o.rows == 0 {
		o.rows = 100_000
		if o.mode == "ten" {
			o.rows = 10_000
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "feedload: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	switch o.format {
	case "json", "ndjson", "csv":
	default:
		return fmt.Errorf("--format %q: want json, ndjson or csv", o.format)
	}
	if o.keys == "" || o.catalog == "" {
		return errors.New("--keys and --catalog are required")
	}
	env, err := newEnv(o)
	if err != nil {
		return err
	}
	if err := env.waitReady(30 * time.Second); err != nil {
		return err
	}
	switch o.mode {
	case "single":
		return env.single()
	case "sustained":
		return env.sustained()
	case "ten":
		return env.ten()
	case "onerow":
		return env.onerow()
	case "locator":
		return env.locator()
	case "background":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		if o.duration > 0 && isFlagSet("duration") {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.duration)
			defer cancel()
		}
		return env.background(ctx)
	}
	return fmt.Errorf("--mode %q: want %s", o.mode, strings.Join([]string{"single", "sustained", "ten", "onerow", "background", "locator"}, ", "))
}

func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
