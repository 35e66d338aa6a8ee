package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// varyStorefront is on every cacheable storefront answer: the answer depends on the key
// (the tenant), and a shared cache must never hand one tenant's answer to another.
const varyStorefront = "X-API-Key, Accept-Encoding, Accept-Language"

// marshal encodes v without escaping <, > and & (answers are JSON, not HTML).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func sendJSON(c *fiber.Ctx, status int, v any) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// sendCacheable answers a storefront GET that is not kept in the cache, with the same
// headers as a kept one.
func (s *Server) sendCacheable(c *fiber.Ctx, v any, cacheControl string) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	return s.sendAnswer(c, newAnswer(body, -1), cacheControl, "")
}

// etagMatches applies If-None-Match's weak comparison; it also accepts the tag as
// suffixed by response compression ("…-gzip").
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if t == etag {
			return true
		}
		for _, enc := range []string{"-gzip\"", "-zstd\""} {
			if base, ok := strings.CutSuffix(t, enc); ok && base+`"` == etag {
				return true
			}
		}
	}
	return false
}
