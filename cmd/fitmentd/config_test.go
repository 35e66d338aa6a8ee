package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(c *config) bool
		wantErr string // in the error; "" for none
	}{
		{"defaults", nil, nil, func(c *config) bool {
			return c.addr == "127.0.0.1:8080" && c.requestTimeout == 10*time.Second && c.logFormat == "text" && c.logLevel == "info" && len(c.fromEnv) == 0
		}, ""},
		{"env sets", nil, map[string]string{"FITMENT_ADDR": ":9", "FITMENT_SHUTDOWN_TIMEOUT": "3s", "FITMENT_CACHE_BYTES": "-1", "FITMENT_LOG_FORMAT": "json"}, func(c *config) bool {
			return c.addr == ":9" && c.shutdownTimeout == 3*time.Second && c.cacheBytes == -1 && c.logFormat == "json" && c.fromEnv["shutdown-timeout"] == "FITMENT_SHUTDOWN_TIMEOUT"
		}, ""},
		{"flag wins", []string{"--addr", ":1", "--metrics-token", "f"}, map[string]string{"FITMENT_ADDR": ":9", "FITMENT_METRICS_TOKEN": "e"}, func(c *config) bool {
			return c.addr == ":1" && c.metricsToken == "f" && c.fromEnv["addr"] == "" && c.fromEnv["metrics-token"] == ""
		}, ""},
		{"metrics token from env", nil, map[string]string{"FITMENT_METRICS_TOKEN": "e"}, func(c *config) bool {
			return c.metricsToken == "e" && c.fromEnv["metrics-token"] == "FITMENT_METRICS_TOKEN"
		}, ""},
		{"empty env is unset", nil, map[string]string{"FITMENT_DRAIN": ""}, func(c *config) bool { return c.drain == 2*time.Second }, ""},
		{"bad env names the variable", nil, map[string]string{"FITMENT_DRAIN": "soon"}, nil, `FITMENT_DRAIN="soon"`},
		{"bad env ignored under a flag", []string{"--drain", "1s"}, map[string]string{"FITMENT_DRAIN": "soon"}, func(c *config) bool { return c.drain == time.Second }, ""},
		{"two bad envs", nil, map[string]string{"FITMENT_DRAIN": "x", "FITMENT_MEMORY_LIMIT": "y"}, nil, "FITMENT_MEMORY_LIMIT"},
		{"bad flag", []string{"--drain", "soon"}, nil, nil, "soon"},
		{"stray argument", []string{"extra"}, nil, nil, "unexpected"},
	} {
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		c, err := parseConfig(tc.args, lookup, io.Discard)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("parseConfig(%s): got error %v, want one containing %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("parseConfig(%s): %v", tc.name, err)
		case tc.wantErr == "" && !tc.check(c):
			t.Errorf("parseConfig(%s): got %+v", tc.name, *c)
		}
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{"metrics-token": "FITMENT_METRICS_TOKEN", "addr": "FITMENT_ADDR", "log-level": "FITMENT_LOG_LEVEL"} {
		if got := envName(in); got != want {
			t.Errorf("envName(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestNewLogger(t *testing.T) {
	var b strings.Builder
	l, err := newLogger("json", "warn", &b)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "tenant", "a")
	if got := b.String(); strings.Contains(got, "hidden") || !strings.Contains(got, `"msg":"shown","tenant":"a"`) {
		t.Errorf("newLogger(json, warn): wrote %q", got)
	}
	for _, bad := range [][2]string{{"xml", "info"}, {"text", "verbose"}, {"text", "INFO+2"}} {
		if _, err := newLogger(bad[0], bad[1], io.Discard); err == nil {
			t.Errorf("newLogger(%s, %s): got no error", bad[0], bad[1])
		}
	}
}
