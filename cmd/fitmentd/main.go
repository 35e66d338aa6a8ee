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
//
// Every flag may be set by the environment instead (FITMENT_<FLAG>, see config.go and the
// README's Configuration); the log (log/slog, --log-format, --log-level) goes to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/fitment/fitment/catalogs"
	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/httpapi"
	"github.com/fitment/fitment/tenant"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.LookupEnv, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintf(os.Stderr, "fitmentd: %v\n", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "fitmentd: %v\n", err)
		os.Exit(1)
	}
}

// run serves until a signal stops it. The lines on stdout (the address, readiness, where
// the tokens come from) are for people and scripts (make run, the e2e tests parse them);
// the log goes to stderr.
func run(cfg *config) error {
	logger, err := newLogger(cfg.logFormat, cfg.logLevel, os.Stderr)
	if err != nil {
		return err
	}
	slog.SetDefault(logger) // the log package's output too
	if cfg.debugAddr != "" {
		go func() { // net/http/pprof's handlers
			logger.Error("debug server stopped", "addr", cfg.debugAddr, "error", http.ListenAndServe(cfg.debugAddr, nil))
		}()
	}
	if cfg.snapshot == "" {
		return errors.New("--snapshot (or FITMENT_SNAPSHOT) is required")
	}
	if cfg.memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cfg.memLimit)
	}

	topts := tenant.DefaultOptions()
	topts.Logger = logger.With("component", "tenant")
	store, err := tenant.Open(cfg.data, topts)
	if err != nil {
		return err
	}
	defer store.Close()

	token := os.Getenv("FITMENT_ADMIN_TOKEN")
	if token == "" {
		tok, path, generated, err := tenant.LoadAdminToken(cfg.data)
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
	switch {
	case cfg.metricsToken == "":
		fmt.Println("/metrics is open (no --metrics-token or FITMENT_METRICS_TOKEN)")
	case cfg.fromEnv["metrics-token"] != "":
		fmt.Println("/metrics needs the token of FITMENT_METRICS_TOKEN")
	default:
		fmt.Println("/metrics needs the token of --metrics-token")
	}

	eng := engine.New()
	limit := int64(0)
	if cfg.memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		limit = cfg.memLimit
	}
	cats := catalogs.New(eng, catalogs.Options{Dir: cfg.data, KeepPrevious: cfg.keepPrevious,
		RollbackWindow: cfg.rollbackWindow, Workers: cfg.swapWorkers, MemoryLimit: limit,
		Logger: logger.With("component", "catalogs")})
	defer cats.Close()
	opts := httpapi.DefaultOptions()
	opts.Catalogs = cats
	opts.Engine, opts.Store, opts.AdminToken, opts.Logger = eng, store, token, logger.With("component", "http")
	opts.MetricsToken = cfg.metricsToken
	opts.CacheBytes = cfg.cacheBytes
	opts.RequestTimeout = cfg.requestTimeout
	srv := httpapi.New(opts)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.App().Listener(ln) }()

	loaded := make(chan error, 1)
	go func() { loaded <- load(eng, cats, store, cfg.snapshot, logger) }()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	// SIGHUP re-reads --snapshot (a rebuild written over it) and swaps it in; on its own
	// channel, so that a reload during the drain is not taken for a second stop signal.
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
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
				logger.Info("fitment links marked", "duration", time.Since(t).Round(time.Millisecond))
			}()
			loaded = nil
		case <-hups:
			if loaded != nil {
				logger.Warn("SIGHUP before the first catalog is loaded: ignored")
				continue
			}
			go func() {
				logger.Info("SIGHUP: swapping in the snapshot file again", "path", cfg.snapshot)
				if _, err := cats.Swap(cfg.snapshot); err != nil {
					logger.Error("SIGHUP swap refused: the current catalog keeps serving", "path", cfg.snapshot, "error", err)
				}
			}()
		case err := <-served:
			return err
		case sig := <-sigs:
			logger.Info("signal: shutting down", "signal", sig.String())
			return shutdown(srv, eng, store, sigs, cfg.drain, cfg.shutdownTimeout, logger)
		}
	}
}

// load loads the first catalog (the one swapped in before a restart, or --snapshot; see
// catalogs.Manager.Start) and restores every tenant into the engine. The server is not
// ready before that, so no storefront sees a tenant half restored.
func load(eng *engine.Engine, cats *catalogs.Manager, store *tenant.Store, path string, logger *slog.Logger) error {
	start := time.Now()
	served, err := cats.Start(path)
	if err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	if !eng.HasTextIndex() {
		logger.Warn("the snapshot has no text index (built before format 2): search and q are unavailable; rebuild it with fitctl build", "snapshot", served)
	}
	loaded := time.Since(start)
	if err := store.Attach(eng); err != nil {
		return fmt.Errorf("restore tenants: %w", err)
	}
	st := store.Stats()
	cur := cats.Status().Current
	logger.Info("catalog loaded and tenants restored", "version", cur.Version, "path", served, "parts", cur.Counts.Parts,
		"vehicles", cur.Counts.Vehicles, "load_duration", loaded.Round(time.Millisecond), "tenants", st.Tenants,
		"journal_first", st.FirstSeq, "journal_last", st.LastSeq, "restore_duration", (time.Since(start) - loaded).Round(time.Millisecond))
	return nil
}

// shutdown stops in order: /readyz fails at once, load balancers get drain to notice,
// then the listener closes and in-flight requests get stop to finish; then the engine
// and the tenant store (its journal; checkpoints, so the next start replays nothing)
// close. A second signal exits at once with status 1.
func shutdown(srv *httpapi.Server, eng *engine.Engine, store *tenant.Store, sigs chan os.Signal, drain, stop time.Duration, logger *slog.Logger) error {
	go func() {
		sig := <-sigs
		logger.Error("second signal: exiting now", "signal", sig.String())
		os.Exit(1)
	}()
	srv.SetDraining()
	logger.Info("draining: /readyz answers 503", "drain", drain)
	time.Sleep(drain)
	logger.Info("closing the listener; waiting for requests in flight", "deadline", stop)
	ctx, cancel := context.WithTimeout(context.Background(), stop)
	defer cancel()
	if err := srv.App().ShutdownWithContext(ctx); err != nil {
		logger.Error("requests still in flight at the shutdown deadline", "deadline", stop, "error", err)
	} else {
		logger.Info("http server stopped")
	}
	if err := eng.Close(); err != nil {
		logger.Error("closing the engine", "error", err)
	} else {
		logger.Info("engine closed")
	}
	if err := store.Close(); err != nil {
		return fmt.Errorf("close the tenant store: %w", err)
	}
	logger.Info("tenant store closed")
	logger.Info("stopped")
	return nil
}
