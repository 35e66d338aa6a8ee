// Command fitmentd serves the fitment engine over HTTP.
//
//	fitmentd --snapshot FILE --data DIR --addr HOST:PORT
//
// It opens the tenant store in DIR, listens at once (/healthz answers, /readyz is 503),
// loads the snapshot in the background, loads every tenant into the engine and then
// becomes ready. SIGINT or SIGTERM drains and stops it; a second signal exits at once.
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
	"syscall"
	"time"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/httpapi"
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
	flag.Parse()
	if *debugAddr != "" {
		go func() { log.Println(http.ListenAndServe(*debugAddr, nil)) }() // net/http/pprof's handlers
	}
	if *snap == "" {
		return errors.New("--snapshot is required")
	}
	logger := log.New(os.Stderr, "fitmentd: ", log.LstdFlags)

	store, err := tenant.Open(*data)
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

	eng := httpapi.NewLive(engine.New())
	opts := httpapi.DefaultOptions()
	opts.Engine, opts.Store, opts.AdminToken, opts.Logger = eng, store, token, logger
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
			loaded = nil
		case err := <-served:
			return err
		case sig := <-sigs:
			logger.Printf("%v: draining", sig)
			return shutdown(srv, store, sigs, *drain, *stop, logger)
		}
	}
}

// load reads the snapshot and publishes it with every tenant's state. Tenants go in first,
// so that the first view a storefront sees already has them.
func load(eng *httpapi.Live, store *tenant.Store, path string, logger *log.Logger) error {
	start := time.Now()
	cat, info, err := snapshot.Open(path)
	if err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	ts := store.List()
	for _, t := range ts {
		st, err := store.State(t.ID)
		if err != nil {
			return fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		eng.SetTenant(t.ID, st)
	}
	eng.Load(cat, info.Version())
	logger.Printf("loaded snapshot %s (%d parts, %d vehicles) and %d tenants in %v",
		info.Version(), info.Counts.Parts, info.Counts.Vehicles, len(ts), time.Since(start).Round(time.Millisecond))
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
