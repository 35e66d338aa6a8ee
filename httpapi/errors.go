package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/journal"
	"github.com/fitment/fitment/tenant"
)

// apiError is an error with its HTTP answer. Handlers return one; errorHandler writes it.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badParam(name, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "bad_parameter", "parameter %s: %s", name, fmt.Sprintf(format, args...))
}

// codes names the errors fiber itself raises.
var codes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "unavailable",
	http.StatusRequestTimeout:        "timeout",
}

// toAPIError maps every error to its answer; this is the one place where package errors
// become HTTP statuses.
func toAPIError(err error) *apiError {
	var ae *apiError
	var fe *fiber.Error
	var qe *engine.QueryError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &qe):
		return badParam(qe.Param, "%s", qe.Msg)
	case errors.Is(err, engine.ErrNoCatalog), errors.Is(err, tenant.ErrNotReady):
		return errorf(http.StatusServiceUnavailable, "no_catalog", "no catalog loaded yet")
	case errors.Is(err, journal.ErrFailed), errors.Is(err, journal.ErrClosed), errors.Is(err, tenant.ErrClosed):
		// Nothing of this request was acknowledged; reads go on. Operators see the cause
		// in the log.
		return errorf(http.StatusServiceUnavailable, "writes_unavailable", "writes are unavailable right now; nothing of this request was applied")
	case errors.Is(err, journal.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "request too large to record")
	case errors.Is(err, engine.ErrNotFound), errors.Is(err, tenant.ErrNotFound):
		return errorf(http.StatusNotFound, "not_found", "%s", err.Error())
	case errors.Is(err, tenant.ErrInvalid):
		return errorf(http.StatusBadRequest, "invalid", "%s", err.Error())
	case errors.Is(err, tenant.ErrExists):
		return errorf(http.StatusConflict, "conflict", "%s", err.Error())
	case errors.As(err, &fe):
		code, ok := codes[fe.Code]
		if !ok {
			code = "error"
		}
		msg := fe.Message
		if fe.Code == http.StatusRequestEntityTooLarge {
			msg = "request body too large"
		}
		return errorf(fe.Code, code, "%s", lower(msg))
	}
	return nil
}

func lower(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' && (len(b) < 2 || b[1] < 'A' || b[1] > 'Z') {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

// errorHandler writes every error as {"error": {"code", "message"}}, never a stack trace.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	ae := toAPIError(err)
	switch {
	case ae == nil:
		c.Locals(localError, err) // for the request's log line (logRequest)
		ae = errorf(http.StatusInternalServerError, "internal", "internal error")
	case ae.Code == "writes_unavailable":
		c.Locals(localError, err)
	}
	if (ae.Status == http.StatusServiceUnavailable || ae.Status == http.StatusTooManyRequests) && ae.Code != "writes_unavailable" {
		c.Set("Retry-After", "1") // a failed journal stays failed until an operator restarts
	}
	if len(c.Response().Header.Peek("X-Catalog-Version")) == 0 {
		c.Set("X-Catalog-Version", s.version())
	}
	if strings.HasPrefix(c.Path(), "/api/t/") {
		// Errors raised before the CORS middleware ran (503 overloaded) must still be
		// readable by the storefront's browser code.
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		c.Set(fiber.HeaderAccessControlExposeHeaders, "ETag, X-Total-Count, X-Catalog-Version")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().Header.Del(fiber.HeaderETag)
	c.Response().Header.Del(fiber.HeaderContentEncoding)
	c.Response().Header.Del("X-Total-Count")
	return sendJSON(c, ae.Status, fiber.Map{"error": ae})
}
