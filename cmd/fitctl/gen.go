package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fitment/fitment/gen"
)

func init() {
	commands["gen"] = command{summary: "generate a deterministic synthetic source catalog", run: runGen}
}

func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	profile := fs.String("profile", "tiny", "scale profile: "+strings.Join(gen.ProfileNames(), ", "))
	seed := fs.Uint64("seed", 1, "random seed; the same profile and seed give byte-identical files")
	out := fs.String("out", "", "output directory (created if missing)")
	compress := fs.String("compress", "none", "CSV compression: none, gz or zst")
	revision := fs.Int("revision", 0, "the catalog N weeks later: parts removed, added, renamed and refitted, new model years, a new brand every third week (0: the catalog itself)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("--out is required and no positional arguments are accepted")
	}
	p, ok := gen.ProfileByName(*profile)
	if !ok {
		return fmt.Errorf("unknown profile %q (want one of %s)", *profile, strings.Join(gen.ProfileNames(), ", "))
	}
	start := time.Now()
	st, err := gen.Generate(p, *seed, *out, gen.Options{Compress: gen.Compression(*compress), Revision: *revision})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen %s seed %d revision %d -> %s in %s\n", p.Name, *seed, *revision, *out, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(os.Stderr, "  vehicles: %d rows, %d models, %d makes, %d expanded vehicles\n", st.VehicleRows, st.Models, st.Makes, st.Vehicles)
	fmt.Fprintf(os.Stderr, "  parts:    %d (%d universal), %d brands\n", st.Parts, st.UniversalParts, st.Brands)
	fmt.Fprintf(os.Stderr, "  fitments: %d rows, %d links after expansion\n", st.FitmentRows, st.FitmentLinks)
	fmt.Fprintf(os.Stderr, "  tenants:  %d\n", st.Tenants)
	fmt.Fprintf(os.Stderr, "  offers:   %d feeds, %d priced items (%d with stock, %d own parts), %d aliases\n", st.Feeds, st.PricedItems, st.StockedItems, st.OwnPricedItems, st.Aliases)
	fmt.Fprintf(os.Stderr, "  stores:   %d chains with %d stores, %d location-stock rows\n", st.Chains, st.Stores, st.LocationStockRows)
	fmt.Fprintf(os.Stderr, "  dealers:  %d linked to resellers, %d stock-sharing grants\n", st.Dealers, st.Grants)
	fmt.Fprintf(os.Stderr, "  own:      %d tenants with %d own parts and %d own vehicles\n", st.OwnTenants, st.OwnParts, st.OwnVehicles)
	return nil
}
