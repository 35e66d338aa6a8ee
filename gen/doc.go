// Package gen writes deterministic synthetic source catalogs in the CSV format of
// spec/catalog-format.md, plus a tenants.json of demo and benchmark tenants (Tenant documents
// every field) and their side files, all paths relative to the catalog directory:
//
//   - feeds/<tenant-id>.csv: the tenant's offer feed of prices and stock, header
//     partNumber,price,stock, its own parts' rows last (offers.go).
//   - feeds/<tenant-id>-locations.csv: a retail chain's stock per store, header
//     location,part_number,stock (locstock.go). Both feeds are compressed as
//     Options.Compress says (.csv.gz, .csv.zst).
//   - own/<tenant-id>-vehicles.csv: a tenant's own vehicles, in the columns of vehicles.csv;
//     own/<tenant-id>-parts.ndjson: its own parts, one POST /api/app/tenant-parts object a
//     line (own.go). Always plain, so both can be posted with curl as they are.
//
// The stores, dealers and stock-sharing grants are inline in tenants.json (network.go): every
// RETAIL tenant is a chain of 2-40 stores with location stock, every MANUFACTURER lists
// 10-200 reseller tenants' shops as dealers, and most of those resellers grant it sharing of
// their stock. `fitctl demo` loads all of it, in the order the references need: own
// vehicles, own parts, subscriptions and activations, offers, aliases, locations, location
// stock, grants.
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
//   - Every priced part of a feed is visible to its tenant (a catalog part it sees, or one of
//     its own), and every alias names a part of the tenant's feed, is unique within the tenant
//     and is never a catalog part number. Offers draw from their own random streams: the
//     catalog files and the other tenants.json fields are the same with or without them.
//   - Every row of a location-stock file names an open store of the chain and a part of its
//     feed with a tracked stock. Every dealer links another tenant, which subscribes to the
//     dealer's manufacturer's brand; every grant goes to a manufacturer that lists a shop of
//     the granting tenant, which prices and stocks parts of that brand.
//   - Own part numbers are never catalog part numbers, own vehicles never catalog vehicles,
//     own parts' categories are in the catalog's tree, and every own fitment names a catalog
//     vehicle (in years the catalog has) or one of the tenant's own.
//   - The stores, dealers, location stock and own data draw from their own random streams,
//     per tenant. The catalog files do not depend on them; the offer feeds do only through
//     the brand subscriptions and grants of the dealers (a reseller prices enough of a brand
//     it shares) and the own parts' rows at their end.
//   - Memory stays bounded by the vehicle universe and the brand table: parts and fitments are
//     streamed to their files as they are generated, so the eu profile (about 50 million links)
//     runs in a few hundred megabytes. Feeds are streamed too (about 20 million rows on eu,
//     and about 3 million location-stock rows).
//
// Vehicle makes and models come from an embedded, filtered extract of the NHTSA vPIC database
// (public domain, see data/SOURCE.md), normalised to European make spelling and the four vehicle
// types; submodels mix vPIC series/trims with typical synthetic trims. Part brands, part numbers,
// EANs and texts are synthetic; the first brands are real aftermarket names.
//
// Generate is safe to call concurrently with different output directories.
package gen
