package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Every request has an id (X-Request-Id, taken from the request when it is sane, else
// made here), returned in the response header and carried by every log line about it.
// Every request also has a handler deadline (Options.RequestTimeout) in c.UserContext().
//
// What the deadline covers: the time from taking an in-flight slot to the handler's
// return. Handlers check it at their natural check points (a bulk write, once its body is
// parsed and before it is recorded) and answer 503 timeout; nothing of such a request is
// applied. What it does not cover: the wait for a slot (QueueWait bounds it), reading the
// request (ReadTimeout), writing the answer (WriteTimeout), a handler's work between two
// check points (the engine does not see the context), and the body of a fitment lookup or
// export stream, which is written after the handler returns under its own sliding write
// deadline (fitment.go).

const (
	localRequestID = "requestid"
	localError     = "error" // the cause behind a 5xx, for its log line (errorHandler sets it)

	maxRequestID = 128
)

// saneRequestID reports whether id may be echoed and logged as it is: 1–128 characters
// of [A-Za-z0-9._:-].
func saneRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > maxRequestID {
		return false
	}
	for _, b := range id {
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == ':', b == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits in hex. math/rand/v2's top-level functions draw
// from a per-thread ChaCha8 generator seeded by the runtime: no system call, no lock, and
// safe for concurrent use. The ids need to be unique, not unpredictable.
func newRequestID() string {
	var b [16]byte
	for i := 0; i < len(b); i += 8 {
		u := rand.Uint64()
		for j := range 8 {
			b[i+j] = byte(u >> (8 * j))
		}
	}
	return hex.EncodeToString(b[:])
}

// requestID gives the request its id (before recover, so a panic's log line has it).
func (s *Server) requestID(c *fiber.Ctx) error {
	var id string
	if in := c.Request().Header.Peek(fiber.HeaderXRequestID); saneRequestID(in) {
		id = string(in) // a copy: the header's buffer is reused after the request
	} else {
		id = newRequestID()
	}
	c.Set(fiber.HeaderXRequestID, id)
	c.Locals(localRequestID, id)
	return c.Next()
}

func requestIDOf(c *fiber.Ctx) string { id, _ := c.Locals(localRequestID).(string); return id }

// logRequest writes the request's access line: at error level for a 5xx (but a probe's
// 503 from /readyz, which is its answer, not a failure), at debug level for the rest.
// Debug lines cost nothing when the level is above debug: slog checks it first.
func (s *Server) logRequest(c *fiber.Ctx, route string, status int, elapsed time.Duration) {
	level := slog.LevelDebug
	if status >= 500 && !(status == http.StatusServiceUnavailable && route == "/readyz") {
		level = slog.LevelError
	}
	ctx := context.Background()
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("request_id", requestIDOf(c)),
		slog.String("method", c.Method()), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", elapsed))
	if t := tenantID(c); t != "" {
		attrs = append(attrs, slog.String("tenant", t))
	}
	if level == slog.LevelDebug {
		attrs = append(attrs, slog.String("path", c.Path()))
	}
	if err, ok := c.Locals(localError).(error); ok {
		attrs = append(attrs, slog.Any("error", err))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// logPanic is the recover middleware's StackTraceHandler.
func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.LogAttrs(context.Background(), slog.LevelError, "panic",
		slog.String("request_id", requestIDOf(c)), slog.String("method", c.Method()),
		slog.String("path", c.Path()), slog.String("panic", fmt.Sprint(e)), slog.String("stack", string(debug.Stack())))
}

// withDeadline puts the handler deadline into c.UserContext for the rest of the chain.
func (s *Server) withDeadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.opts.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// checkDeadline is a handler's check point: 503 timeout once the request's deadline has
// passed. Call it where stopping leaves nothing half done (before a write is recorded).
func (s *Server) checkDeadline(c *fiber.Ctx) error {
	if c.UserContext().Err() != nil {
		return errorf(http.StatusServiceUnavailable, "timeout",
			"the request took longer than the server's request timeout (%v); nothing of it was applied, retry it (smaller)", s.opts.RequestTimeout)
	}
	return nil
}

// promLogger is promhttp's error log on the server's logger.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) {
	p.l.Error("metrics: gathering failed", "error", fmt.Sprint(v...))
}
