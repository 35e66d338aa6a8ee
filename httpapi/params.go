package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fitment/fitment/ingest"
)

// Query parameter parsing. An empty parameter (year=) counts as absent; anything present
// and malformed is a 400 naming the parameter.

const maxLimit = 10000

func queryInt(c *fiber.Ctx, name string, min, max int) (int, bool, error) {
	s := c.Query(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, badParam(name, "%q is not an integer", s)
	}
	if n < min || n > max {
		return 0, false, badParam(name, "%d is out of range %d..%d", n, min, max)
	}
	return n, true, nil
}

func queryYear(c *fiber.Ctx) (int, error) {
	y, _, err := queryInt(c, "year", 1, 9999)
	return y, err
}

var vehicleTypes = ingest.VehicleTypes

func queryType(c *fiber.Ctx) (string, error) {
	s := c.Query("type")
	if s == "" {
		return "", nil
	}
	for _, t := range vehicleTypes {
		if strings.EqualFold(s, t) {
			return t, nil
		}
	}
	return "", badParam("type", "%q is not one of %s", s, strings.Join(vehicleTypes, ", "))
}

func queryBool(c *fiber.Ctx, name string) (bool, error) {
	switch strings.ToLower(c.Query(name)) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, badParam(name, "%q is not true or false", c.Query(name))
}

// lang picks the response language: the lang parameter, else the first language of
// Accept-Language with the highest weight; "" = the part's default. Only the primary
// subtag is used (de-AT → de).
func lang(c *fiber.Ctx) (string, error) {
	if s := c.Query("lang"); s != "" {
		p, ok := primaryTag(s)
		if !ok {
			return "", badParam("lang", "%q is not a language code", s)
		}
		return p, nil
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if p, ok := primaryTag(tag); ok && q > bestQ {
			best, bestQ = p, q
		}
	}
	return best, nil
}

func primaryTag(s string) (string, bool) {
	s = strings.TrimSpace(s)
	p, rest, _ := strings.Cut(s, "-")
	if len(p) < 2 || len(p) > 3 || !alpha(p) {
		return "", false
	}
	for _, sub := range strings.Split(rest, "-") {
		if rest != "" && (len(sub) == 0 || len(sub) > 8) {
			return "", false
		}
	}
	// A copy: s may point into fasthttp's request buffer, which the next request reuses,
	// and languages end up as keys of long-lived maps.
	return strings.Clone(strings.ToLower(p)), true
}

func alpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// pathParam reads a path parameter, URL-decoded and trimmed, as a string of its own: fiber's
// values point into the request's buffer, which the next request reuses, so one kept in
// the tenant's state would change under it.
func pathParam(c *fiber.Ctx, name string) (string, error) {
	s, err := url.PathUnescape(c.Params(name))
	s = strings.TrimSpace(s)
	if err != nil || s == "" {
		return "", badParam(name, "is empty or not validly URL-encoded")
	}
	return strings.Clone(s), nil
}
