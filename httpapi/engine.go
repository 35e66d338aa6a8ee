package httpapi

import (
	"github.com/fitment/fitment/engine"
)

// Engine is what the handlers need from the fitment engine. *Live adapts *engine.Engine;
// tests use a hand-written fake.
type Engine interface {
	// Version is the loaded catalog's version, "" before a catalog is loaded.
	Version() string
	// View returns a tenant's immutable read view; engine.ErrNoCatalog before a load.
	View(tenantID string) (View, error)
	UpdateTenant(id string, ch engine.TenantChange)
	// Brand finds a brand of the catalog case-insensitively: its catalog spelling and part
	// count; ok is false for an unknown brand.
	Brand(brand string) (name string, parts int, ok bool)
	// PartNumber finds a part of the central catalog (case-insensitively) whether or not
	// any tenant sees it, and returns its canonical number.
	PartNumber(partNumber string) (canonical string, ok bool)
}

// View is one tenant's visible catalog at one moment (*engine.View).
type View interface {
	Version() string
	Years(f engine.Filter) []int
	Makes(f engine.Filter) []engine.MakeRef
	Models(f engine.Filter) []engine.ModelRef
	Vehicles(f engine.Filter) []engine.VehicleRef
	Parts(vehicleID string, q engine.PartsQuery) (items []engine.PartSummary, total int, err error)
	Part(partNumber, lang string) (*engine.PartDetail, error)
	Categories() []engine.CategoryRef
	YearCounts(f engine.Filter) []engine.YearCount
	MakeCounts(f engine.Filter) []engine.MakeCount
	ModelCounts(f engine.Filter) []engine.ModelCount
	// Memo keeps a value derived from this view alone (see engine.View.Memo).
	Memo(key string, f func() any) any
}

var _ View = (*engine.View)(nil)

// Live serves the handlers from a real engine.
type Live struct {
	*engine.Engine
}

// NewLive wraps e.
func NewLive(e *engine.Engine) *Live { return &Live{Engine: e} }

// View implements Engine.
func (l *Live) View(tenantID string) (View, error) {
	v, err := l.Engine.View(tenantID)
	if err != nil {
		return nil, err
	}
	return v, nil
}
