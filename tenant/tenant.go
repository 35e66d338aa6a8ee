package tenant

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by the store. Callers compare with errors.Is.
var (
	ErrNotFound = errors.New("tenant not found")
	ErrExists   = errors.New("tenant already exists")
	ErrInvalid  = errors.New("invalid tenant")
)

// Tenant types. The type gates features; it is not a security boundary.
const (
	Standard     = "STANDARD"
	Retail       = "RETAIL"
	Reseller     = "RESELLER"
	Hybrid       = "HYBRID"
	Manufacturer = "MANUFACTURER"
	Distributor  = "DISTRIBUTOR"
	DataProvider = "DATA_PROVIDER"
)

// Types lists every tenant type, in documentation order.
var Types = []string{Standard, Retail, Reseller, Hybrid, Manufacturer, Distributor, DataProvider}

// Tenant is one tenant's record.
type Tenant struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Currency string            `json:"currency"` // ISO 4217, upper case
	Language string            `json:"language"` // ISO 639-1, lower case
	Created  time.Time         `json:"created"`
	Config   map[string]string `json:"config,omitempty"` // public storefront config
}

// Normalize fills defaults (type STANDARD) and canonical case, then validates. The error
// wraps ErrInvalid and names the offending field.
func (t *Tenant) Normalize() error {
	t.Name = strings.TrimSpace(t.Name)
	t.Type = strings.ToUpper(strings.TrimSpace(t.Type))
	t.Currency = strings.ToUpper(strings.TrimSpace(t.Currency))
	t.Language = strings.ToLower(strings.TrimSpace(t.Language))
	if t.Type == "" {
		t.Type = Standard
	}
	switch {
	case t.ID != "" && !ValidID(t.ID):
		return fmt.Errorf("%w: id must be 1-64 characters of a-z, 0-9, '-' and '_'", ErrInvalid)
	case t.Name == "":
		return fmt.Errorf("%w: name is required", ErrInvalid)
	case len(t.Name) > 200:
		return fmt.Errorf("%w: name is longer than 200 characters", ErrInvalid)
	case !validType(t.Type):
		return fmt.Errorf("%w: type must be one of %s", ErrInvalid, strings.Join(Types, ", "))
	case !letters(t.Currency, 3):
		return fmt.Errorf("%w: currency must be an ISO 4217 code of 3 letters", ErrInvalid)
	case !letters(t.Language, 2):
		return fmt.Errorf("%w: language must be an ISO 639-1 code of 2 letters", ErrInvalid)
	}
	return nil
}

func validType(s string) bool {
	for _, t := range Types {
		if s == t {
			return true
		}
	}
	return false
}

func letters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// ValidID reports whether s can be a tenant id: 1-64 characters of a-z, 0-9, '-' and '_'.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidConfigKey reports whether s can be a public config key: 1-64 ASCII letters, digits
// or '_', starting with a letter (mapboxToken).
func ValidConfigKey(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !(letter || i > 0 && (c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}
