package httpapi

import (
	"sort"
	"sync/atomic"

	"github.com/fitment/fitment/engine"
	"github.com/fitment/fitment/snapshot"
)

// Engine is what the handlers need from the fitment engine. *Live adapts *engine.Engine;
// tests use a hand-written fake.
type Engine interface {
	// Version is the loaded catalog's version, "" before a catalog is loaded.
	Version() string
	// View returns a tenant's immutable read view; engine.ErrNoCatalog before a load.
	View(tenantID string) (View, error)
	UpdateTenant(id string, ch engine.TenantChange)
	// BrandParts counts a brand's parts in the catalog; ok is false for an unknown brand.
	BrandParts(brand string) (parts int, ok bool)
	// LookupPart finds a part of the central catalog (case-insensitively) whether or not
	// any tenant sees it: its canonical number and its brand.
	LookupPart(partNumber string) (canonical, brand string, ok bool)
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
}

var _ View = (*engine.View)(nil)

// Live serves the handlers from a real engine. Load publishes a catalog to both the engine
// and the part look-up that the write surface uses.
type Live struct {
	*engine.Engine
	cat atomic.Pointer[snapshot.Catalog]
}

// NewLive wraps e.
func NewLive(e *engine.Engine) *Live { return &Live{Engine: e} }

// Load publishes a catalog (see engine.Engine.Load).
func (l *Live) Load(c *snapshot.Catalog, version string) {
	l.Engine.Load(c, version)
	l.cat.Store(c)
}

// View implements Engine.
func (l *Live) View(tenantID string) (View, error) {
	v, err := l.Engine.View(tenantID)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// LookupPart implements Engine by binary search: catalog parts are sorted by Key(Number).
func (l *Live) LookupPart(partNumber string) (canonical, brand string, ok bool) {
	c := l.cat.Load()
	if c == nil {
		return "", "", false
	}
	k := snapshot.Key(partNumber)
	i := sort.Search(len(c.Parts), func(i int) bool { return snapshot.Key(c.Parts[i].Number) >= k })
	if i == len(c.Parts) || snapshot.Key(c.Parts[i].Number) != k {
		return "", "", false
	}
	p := &c.Parts[i]
	return p.Number, c.Brands[p.Brand], true
}
