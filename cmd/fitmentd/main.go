// Command fitmentd serves the fitment engine over HTTP.
//
//	fitmentd --snapshot FILE --data DIR --addr HOST:PORT [--metrics-token TOKEN]
//
// It opens the tenant layer in DIR (journal and checkpoints), listens at once (/healthz
// answers, /readyz is 503), loads the snapshot in the background, restores every tenant
// into the engine (checkpoints, then the journal after them) and then becomes ready.
// SIGINT or SIGTERM drains and stops it, writing checkpoints so the next start replays
// nothing; a second signal exits at once. GET /metrics serves Prometheus metrics, behind
// a bearer token when --metrics-token or FITMENT_METRICS_TOKEN sets one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/httpapi"
	"github.com/fitment/fitment/index"
	"github.com/fitment/fitment/snapshot"
	"github.com/fitment/fitment/tenant"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "fitmentd: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	snap := flag.String("snapshot", "", "catalog snapshot `file` to serve")
	data := flag.String("data", "data", "data `directory` (tenant store, admin token)")
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address` (port 0 picks a free port)")
	drain := flag.Duration("drain", 2*time.Second, "delay between failing /readyz and closing the listener on shutdown")
	stop := flag.Duration("shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on shutdown")
	debugAddr := flag.String("debug-addr", "", "serve Go's pprof handlers on this separate `address` (keep it on loopback)")
	memLimit := flag.Int64("memory-limit", 3712<<20, "soft limit of the Go heap in `bytes` (the GC works harder near it; 0 leaves GOMEMLIMIT or no limit)")
	metricsToken := flag.String("metrics-token", "", "require `token` as a bearer token on /metrics (default $FITMENT_METRICS_TOKEN; neither: /metrics is open)")
	cacheBytes := flag.Int64("cache-bytes", httpapi.DefaultOptions().CacheBytes, "memory for kept storefront answers, in `bytes`; -1 keeps none (every answer rendered)")
	flag.Parse()
	if *debugAddr != "" {
		go func() { log.Println(http.ListenAndServe(*debugAddr, nil)) }() // net/http/pprof's handlers
	}
	if *snap == "" {
		return errors.New("--snapshot is required")
	}
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(*memLimit)
	}
	logger := log.New(os.Stderr, "fitmentd: ", log.LstdFlags)

	topts := tenant.DefaultOptions()
	topts.Logger = log.New(os.Stderr, "fitmentd: tenant: ", log.LstdFlags)
	store, err := tenant.Open(*data, topts)
	if err != nil {
		return err
	}
	defer store.Close()

	token := os.Getenv("FITMENT_ADMIN_TOKEN")
	if token == "" {
		tok, path, generated, err := tenant.LoadAdminToken(*data)
		if err != nil {
			return fmt.Errorf("admin token: %w", err)
		}
		// Print where the token is, never the token: logs travel further than files.
		if generated {
			fmt.Printf("admin token generated and stored in %s\n", path)
		} else {
			fmt.Printf("admin token in %s\n", path)
		}
		token = tok
	} else {
		fmt.Println("admin token from FITMENT_ADMIN_TOKEN")
	}

	// The flag wins over the environment; the environment keeps the token out of ps.
	switch mtok := os.Getenv("FITMENT_METRICS_TOKEN"); {
	case *metricsToken != "":
		fmt.Println("/metrics needs the token of --metrics-token")
	case mtok != "":
		*metricsToken = mtok
		fmt.Println("/metrics needs the token of FITMENT_METRICS_TOKEN")
	default:
		fmt.Println("/metrics is open (no --metrics-token or FITMENT_METRICS_TOKEN)")
	}

	eng := engine.New()
	opts := httpapi.DefaultOptions()
	opts.Engine, opts.Store, opts.AdminToken, opts.Logger = eng, store, token, logger
	opts.MetricsToken = *metricsToken
	opts.CacheBytes = *cacheBytes
	srv := httpapi.New(opts)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.App().Listener(ln) }()

	loaded := make(chan error, 1)
	go func() { loaded <- load(eng, store, *snap, logger) }()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	for {
		select {
		case err := <-loaded:
			if err != nil {
				return err
			}
			srv.SetReady(true)
			fmt.Printf("ready: catalog %s\n", eng.Version())
			go eng.PrepareSuggest() // type-ahead's dictionaries, off the cold start
			// Which links have fitment details, for fitment tables, lookups and exports.
			go func() {
				t := time.Now()
				eng.PrepareFitment()
				logger.Printf("fitment links marked in %v", time.Since(t).Round(time.Millisecond))
			}()
			loaded = nil
		case err := <-served:
			return err
		case sig := <-sigs:
			logger.Printf("%v: draining", sig)
			return shutdown(srv, store, sigs, *drain, *stop, logger)
		}
	}
}

// load reads the snapshot, publishes it and restores every tenant into the engine. The
// server is not ready before that, so no storefront sees a tenant half restored.
func load(eng *engine.Engine, store *tenant.Store, path string, logger *log.Logger) error {
	start := time.Now()
	cat, info, err := snapshot.Open(path)
	if err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	text, err := index.OpenSnapshot(path, info)
	switch {
	case errors.Is(err, index.ErrNoIndex):
		logger.Printf("%s has no text index (built before format 2): search and q are unavailable; rebuild it with fitctl build", path)
	case err != nil:
		return fmt.Errorf("open the text index: %w", err)
	default:
		// Read the index's files once, off the cold start: the first searches would
		// otherwise wait on page faults.
		go text.Prewarm()
	}
	eng.LoadWithText(cat, info.Version(), text)
	loaded := time.Since(start)
	if err := store.Attach(eng); err != nil {
		return fmt.Errorf("restore tenants: %w", err)
	}
	st := store.Stats()
	logger.Printf("loaded snapshot %s (%d parts, %d vehicles) in %v; restored %d tenants (journal %d..%d) in %v",
		info.Version(), info.Counts.Parts, info.Counts.Vehicles, loaded.Round(time.Millisecond),
		st.Tenants, st.FirstSeq, st.LastSeq, (time.Since(start) - loaded).Round(time.Millisecond))
	return nil
}

func shutdown(srv *httpapi.Server, store *tenant.Store, sigs chan os.Signal, drain, stop time.Duration, logger *log.Logger) error {
	go func() {
		<-sigs
		logger.Printf("second signal: exiting now")
		os.Exit(1)
	}()
	srv.SetDraining()
	time.Sleep(drain) // load balancers see /readyz fail before the listener closes
	ctx, cancel := context.WithTimeout(context.Background(), stop)
	defer cancel()
	if err := srv.App().ShutdownWithContext(ctx); err != nil {
		logger.Printf("shutdown: %v", err)
	}
	if err := store.Close(); err != nil {
		return err
	}
	logger.Printf("stopped")
	return nil
}
