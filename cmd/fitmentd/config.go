package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/fitment/fitment/httpapi"
)

// config is fitmentd's configuration: flags, each of which may instead be set by the
// environment variable FITMENT_<NAME> (upper case, '-' as '_'); the command line wins.
type config struct {
	snapshot        string
	data            string
	addr            string
	drain           time.Duration
	shutdownTimeout time.Duration
	requestTimeout  time.Duration
	debugAddr       string
	memLimit        int64
	metricsToken    string
	cacheBytes      int64
	logFormat       string
	logLevel        string
	keepPrevious    bool
	rollbackWindow  time.Duration
	swapWorkers     int

	fromEnv map[string]string // flag name → the variable that set it
}

// envName is the environment variable of a flag: metrics-token → FITMENT_METRICS_TOKEN.
func envName(flagName string) string {
	return "FITMENT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads the flags of args and then, for every flag not given there, its
// environment variable (lookupEnv is os.LookupEnv; an empty value counts as unset).
func parseConfig(args []string, lookupEnv func(string) (string, bool), usageOut io.Writer) (*config, error) {
	c := &config{fromEnv: map[string]string{}}
	fs := flag.NewFlagSet("fitmentd", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&c.snapshot, "snapshot", "", "catalog snapshot `file` to serve")
	fs.StringVar(&c.data, "data", "data", "data `directory` (tenant store, admin token)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen `address` (port 0 picks a free port)")
	fs.DurationVar(&c.drain, "drain", 2*time.Second, "delay between failing /readyz and closing the listener on shutdown")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight requests may take to finish on shutdown")
	fs.DurationVar(&c.requestTimeout, "request-timeout", httpapi.DefaultOptions().RequestTimeout, "handler deadline of a request (bulk writes answer 503 timeout past it; fitment streams are exempt)")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "serve Go's pprof handlers on this separate `address` (keep it on loopback)")
	fs.Int64Var(&c.memLimit, "memory-limit", 3712<<20, "soft limit of the Go heap in `bytes` (the GC works harder near it; 0 leaves GOMEMLIMIT or no limit)")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "require `token` as a bearer token on /metrics (neither this nor $FITMENT_METRICS_TOKEN: /metrics is open)")
	fs.Int64Var(&c.cacheBytes, "cache-bytes", httpapi.DefaultOptions().CacheBytes, "memory for kept storefront answers, in `bytes`; -1 keeps none (every answer rendered)")
	fs.BoolVar(&c.keepPrevious, "keep-previous", true, "after a swap, keep the replaced catalog resident and derived for an instant rollback (two catalogs' memory; the memory limit is doubled meanwhile)")
	fs.DurationVar(&c.rollbackWindow, "rollback-window", time.Hour, "how long --keep-previous keeps the replaced catalog (0: until the next swap); a rollback after it reloads the previous file")
	fs.IntVar(&c.swapWorkers, "swap-workers", 0, "goroutines deriving tenants during a swap (0: half the cores, leaving the rest to serve)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log `format` on stderr: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "least `level` logged: debug (one line per request), info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fitmentd --snapshot FILE [flags]\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEvery flag may be set by the environment instead: FITMENT_<FLAG> (--cache-bytes: FITMENT_CACHE_BYTES);\nthe command line wins. FITMENT_ADMIN_TOKEN sets the admin token (no flag: it would show in ps).\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v, ok := lookupEnv(name)
		if given[f.Name] || !ok || v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", name, v, err))
			return
		}
		c.fromEnv[f.Name] = name
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// newLogger is the service's logger on w.
func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	switch level {
	case "debug", "info", "warn", "error":
		lv.UnmarshalText([]byte(level))
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
