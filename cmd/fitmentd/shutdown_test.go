package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logLines collects fitmentd's JSON log (stderr).
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// msgs returns the messages logged so far, in order (lines that are not JSON skipped).
func (l *logLines) msgs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		var m struct{ Msg string }
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m.Msg)
		}
	}
	return out
}

func (l *logLines) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// waitFor waits until msg is logged.
func (l *logLines) waitFor(t *testing.T, msg string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, m := range l.msgs() {
			if m == msg {
				return
			}
		}
	}
	t.Fatalf("fitmentd did not log %q within %v; log:\n%s", msg, within, l)
}

// TestGracefulShutdown: on SIGTERM /readyz fails at once while /healthz answers; after
// the drain the listener closes, and a request in flight then (its body half sent) is
// still answered; then the store closes and fitmentd exits 0, logging each step in order.
func TestGracefulShutdown(t *testing.T) {
	e := setupE2E(t)
	logs := &logLines{}
	s := e.startWith([]string{"--drain", "1s", "--log-format", "json"}, logs)

	body := `[{"partNumber":"no-such-part","stock":1}]`
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/integrations/stock-feed HTTP/1.1\r\nHost: fitmentd\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		e.sk, len(body), body[:10])
	time.Sleep(100 * time.Millisecond) // the server has the headers: the connection is busy

	s.cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; ; i++ {
		code, b := e.req(s, "GET", "/readyz", "", "")
		if code == 503 && strings.Contains(string(b), "draining") {
			break
		}
		if i > 50 {
			t.Fatalf("/readyz after SIGTERM: %d %s, want 503 draining", code, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := e.req(s, "GET", "/healthz", "", ""); code != 200 {
		t.Errorf("/healthz while draining: %d, want 200", code)
	}

	logs.waitFor(t, "closing the listener; waiting for requests in flight", 5*time.Second)
	if _, err := http.Get(s.base + "/healthz"); err == nil {
		t.Errorf("a new connection after the listener closed: got through")
	}
	if _, err := conn.Write([]byte(body[10:])); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight at shutdown: %v", err)
	}
	if res.StatusCode != 200 {
		t.Errorf("the request in flight at shutdown: got %d, want 200", res.StatusCode)
	}
	res.Body.Close()

	select {
	case err := <-s.done:
		s.done <- nil // for the cleanup
		if err != nil {
			t.Fatalf("fitmentd after SIGTERM: %v, want exit 0; log:\n%s", err, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("fitmentd did not stop on SIGTERM")
	}
	want := []string{"signal: shutting down", "draining: /readyz answers 503",
		"closing the listener; waiting for requests in flight", "http server stopped",
		"engine closed", // once engine.Engine has Close
		"tenant store closed", "stopped"}
	var got []string
	for _, m := range logs.msgs() {
		for _, w := range want {
			if m == w {
				got = append(got, m)
			}
		}
	}
	if !inOrder(got, want, "engine closed") {
		t.Errorf("shutdown log: got steps %q, want %q in that order; log:\n%s", got, want, logs)
	}
}

// inOrder reports whether got is want, in order, where optional may be missing.
func inOrder(got, want []string, optional string) bool {
	i := 0
	for _, w := range want {
		switch {
		case i < len(got) && got[i] == w:
			i++
		case w == optional:
		default:
			return false
		}
	}
	return i == len(got)
}

// TestSecondSignal: a second signal during the drain exits at once with status 1.
func TestSecondSignal(t *testing.T) {
	e := setupE2E(t)
	logs := &logLines{}
	s := e.startWith([]string{"--drain", "30s", "--log-format", "json"}, logs)
	s.cmd.Process.Signal(syscall.SIGTERM)
	logs.waitFor(t, "draining: /readyz answers 503", 5*time.Second)
	sent := time.Now()
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.done:
		s.done <- nil
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Fatalf("fitmentd after a second signal: %v, want exit status 1", err)
		}
		if d := time.Since(sent); d > 2*time.Second {
			t.Errorf("fitmentd took %v to exit after the second signal", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fitmentd did not exit on a second signal")
	}
	logs.waitFor(t, "second signal: exiting now", time.Second)
}
