package gen

import "strings"

// A Profile sizes a generated catalog. The counts are targets: Generate lands within a few
// percent of them and reports the exact numbers in Stats.
type Profile struct {
	Name string
	// Vehicles is the number of expanded (model, submodel, year) vehicles, including the implicit
	// wildcard vehicle of every model-year.
	Vehicles int
	Parts    int
	Brands   int
	// Links is the number of (part, vehicle, position) links after year ranges are expanded.
	Links   int
	Tenants int
	// PricedItems is the number of priced items over all tenants' offer feeds; 0 writes no
	// feeds.
	PricedItems int
}

var profiles = []Profile{
	{Name: "tiny", Vehicles: 50, Parts: 200, Brands: 5, Links: 2_000, Tenants: 3, PricedItems: 250},
	{Name: "small", Vehicles: 5_000, Parts: 50_000, Brands: 60, Links: 1_000_000, Tenants: 50, PricedItems: 400_000},
	{Name: "eu", Vehicles: 150_000, Parts: 1_000_000, Brands: 600, Links: 50_000_000, Tenants: 1_000, PricedItems: 20_000_000},
}

// ProfileByName returns one of the profiles of the spec: tiny, small or eu.
func ProfileByName(name string) (Profile, bool) {
	for _, p := range profiles {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Profile{}, false
}

// ProfileNames lists the built-in profiles from smallest to largest.
func ProfileNames() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return names
}

// Compression selects how the CSV files are written.
type Compression string

const (
	CompressNone Compression = "none"
	CompressGzip Compression = "gz"
	CompressZstd Compression = "zst"
)

// Options are the output settings, and the revision of the catalog.
type Options struct {
	Compress Compression
	// Revision N > 0 writes the same catalog N weeks later (revision.go): revision N-1's
	// changes plus a week's more. 0 is the catalog itself.
	Revision int
}

// DefaultOptions writes plain CSV.
func DefaultOptions() Options { return Options{Compress: CompressNone} }

// Stats reports exactly what Generate wrote.
type Stats struct {
	VehicleRows int // rows of vehicles.csv
	Models      int
	Makes       int
	// Vehicles counts distinct expanded (model, submodel, year) vehicles, including the implicit
	// wildcard vehicle of every model-year.
	Vehicles       int
	Parts          int
	UniversalParts int
	Brands         int
	FitmentRows    int
	FitmentLinks   int // (part, vehicle, position) links after year expansion; all distinct
	Tenants        int
	Feeds          int // offer feed files, one per tenant that prices anything
	PricedItems    int // rows over all feeds
	StockedItems   int // rows with a tracked stock
	OwnPricedItems int // rows of own parts
	Aliases        int

	Chains            int // tenants with stores of their own
	Stores            int // their locations
	Dealers           int // manufacturers' locations linked to another tenant
	LocationStockRows int
	Grants            int
	OwnTenants        int // tenants with own parts and vehicles
	OwnParts          int
	OwnVehicles       int // expanded (one a year)
}
