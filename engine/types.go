package engine

import (
	"errors"
	"fmt"
)

// Errors returned by the engine. Callers compare with errors.Is.
var (
	ErrNoCatalog = errors.New("no catalog loaded")
	ErrNotFound  = errors.New("not found")
	// ErrBadQuery is wrapped by a *QueryError: a listing parameter that cannot be served.
	ErrBadQuery = errors.New("bad query")
)

// notFound is an ErrNotFound whose text is a whole sentence for the user
// ("part LP-1 is not in this catalog"), without the sentinel's own words appended.
type notFound struct{ msg string }

func (e notFound) Error() string { return e.msg }
func (e notFound) Unwrap() error { return ErrNotFound }

func notFoundf(format string, args ...any) error { return notFound{fmt.Sprintf(format, args...)} }

// Filter narrows a cascade step. Zero values mean "no filter".
type Filter struct {
	Year    int    // 0 = any year
	Type    string // "" = any type; else motorcycle, atv, utv, snowmobile
	MakeID  string // models only
	ModelID string // vehicles only
}

// MakeRef is one make in a cascade answer.
type MakeRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ModelRef is one model in a cascade answer.
type ModelRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// VehicleRef is one vehicle in a cascade answer.
type VehicleRef struct {
	ID       string `json:"id"`
	Submodel string `json:"submodel"`
	Year     int    `json:"year"`
	ModelID  string `json:"modelId"`
	Model    string `json:"model"`
	Make     string `json:"make"`
	Type     string `json:"type"`
}

// Fitment is one fitment of a part to a vehicle; nil fields were not given.
type Fitment struct {
	Position *string `json:"position"`
	Qty      *int    `json:"qty"`
	Notes    *string `json:"notes"`
}

// PartSummary is a part as listed for a vehicle [compat].
type PartSummary struct {
	PartNumber    string    `json:"partNumber"`
	OEMPartNumber *string   `json:"oemPartNumber"`
	Brand         string    `json:"brand"`
	Name          string    `json:"name"`
	Category      *string   `json:"category"`
	ImageURL      *string   `json:"imageUrl"`
	Price         *Money    `json:"price"`
	Stock         *int64    `json:"stock"`
	Fitments      []Fitment `json:"fitments"`
}

// OEMNumber is an OEM cross reference in a part detail.
type OEMNumber struct {
	Brand  string `json:"brand"`
	Number string `json:"number"`
}

// Dimensions of a part in centimetres.
type Dimensions struct {
	Length *float64 `json:"length"`
	Width  *float64 `json:"width"`
	Height *float64 `json:"height"`
}

// PartDetail is the product detail of a part [compat fields first, then extensions].
type PartDetail struct {
	PartNumber      string      `json:"partNumber"`
	OEMPartNumber   *string     `json:"oemPartNumber"`
	Brand           string      `json:"brand"`
	Name            string      `json:"name"`
	Category        *string     `json:"category"`
	Description     *string     `json:"description"`
	ImageURL        *string     `json:"imageUrl"`
	ManualURL       *string     `json:"manualUrl"`
	WeightKg        *float64    `json:"weightKg"`
	Price           *Money      `json:"price"`
	Stock           *int64      `json:"stock"`
	Images          []string    `json:"images"`
	OEMNumbers      []OEMNumber `json:"oemNumbers"`
	EAN             *string     `json:"ean"`
	DimensionsCm    *Dimensions `json:"dimensionsCm"`
	CountryOfOrigin *string     `json:"countryOfOrigin"`
	CategoryPath    []string    `json:"categoryPath"`
	Universal       bool        `json:"universal"`
}

// CategoryRef is one node of the flattened category tree.
type CategoryRef struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	ParentID *string `json:"parentId"`
	Level    int     `json:"level"`
	Path     string  `json:"path"`
}

// PartsQuery pages a vehicle's part list.
type PartsQuery struct {
	Limit            int // 0 = all
	Offset           int
	Lang             string // "" = default language
	IncludeUniversal bool
}
