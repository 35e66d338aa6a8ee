package httpapi

import (
	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fitment/fitment/engine"
)

// Engine is what the handlers read from the fitment engine (*engine.Engine); writes go
// through the tenant store, which applies them to the engine. Tests wrap a real engine to
// hold or fail calls.
type Engine interface {
	// Version is the loaded catalog's version, "" before a catalog is loaded.
	Version() string
	// View returns a tenant's immutable read view; engine.ErrNoCatalog before a load.
	View(tenantID string) (*engine.View, error)
	// Brand finds a brand of the catalog case-insensitively: its catalog spelling and part
	// count; ok is false for an unknown brand.
	Brand(brand string) (name string, parts int, ok bool)
	// NearbyStock lists the dealers of a tenant holding a part, nearest first: its own
	// locations' stock, and that of tenants sharing with it at their grant's precision.
	NearbyStock(tenantID, partRef string, lat, lng float64, limit int) ([]engine.DealerStock, error)
	// GrantsReceived lists the stock-sharing grants other tenants gave a tenant.
	GrantsReceived(tenantID string) []engine.SharingGrant
}

var _ Engine = (*engine.Engine)(nil)

// PartMatcher is the text index as the handlers see it (Options.Matcher): free text
// matched against a tenant's parts. Without one, the server refuses q with 400.
type PartMatcher interface {
	// MatchParts returns the parts of within — part ids of v's catalog as the engine
	// numbers them (View.Candidates), the tenant's own parts included — that match text
	// in lang ("" = any language), each with its relevance rank (higher is better). It
	// must not modify within.
	MatchParts(v *engine.View, text, lang string, within *roaring.Bitmap) (*engine.Matches, error)
}
