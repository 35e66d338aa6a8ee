// Package gen writes deterministic synthetic source catalogs in the CSV format of
// spec/catalog-format.md, plus a tenants.json of demo and benchmark tenants and each tenant's
// offer feed of prices and stock, feeds/<tenant-id>.csv (the format is in offers.go).
//
// Guarantees:
//
//   - The same Profile and seed produce byte-identical files, on any machine and Go version that
//     keeps math/rand/v2's PCG stream stable. Nothing depends on map iteration order, the clock or
//     the environment.
//   - Every row is valid: part numbers are unique case-insensitively, models are unique
//     case-insensitively within their make, every fitment names an existing part and model, and
//     every expanded fitment year exists in vehicles.csv for that model (and that submodel when one
//     is given). No two fitment rows of a part expand to the same (vehicle, position) link, so
//     Stats.FitmentLinks is exactly the number of links an importer keeps.
//   - Universal parts have no fitment rows.
//   - Every priced part of a feed is visible to its tenant, and every alias names a part of the
//     tenant's feed, is unique within the tenant and is never a catalog part number. Offers
//     draw from their own random streams: the catalog files and the other tenants.json fields
//     are the same with or without them.
//   - Memory stays bounded by the vehicle universe and the brand table: parts and fitments are
//     streamed to their files as they are generated, so the eu profile (about 50 million links)
//     runs in a few hundred megabytes. Feeds are streamed too (about 20 million rows on eu).
//
// Vehicle makes and models come from an embedded, filtered extract of the NHTSA vPIC database
// (public domain, see data/SOURCE.md), normalised to European make spelling and the four vehicle
// types; submodels mix vPIC series/trims with typical synthetic trims. Part brands, part numbers,
// EANs and texts are synthetic; the first brands are real aftermarket names.
//
// Generate is safe to call concurrently with different output directories.
package gen
