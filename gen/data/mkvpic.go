//go:build ignore

// mkvpic writes vpic_powersport.csv.gz, the embedded vehicle seed of package gen, from the shared
// vPIC extract. Run from this directory:
//
//	go run mkvpic.go ../../../shared/data/real/nhtsa-vpic-powersport/vpic_powersport_variants.csv
//
// Only rows of well-known powersport makes are kept, and only the columns the generator reads,
// so that the committed copy stays small; all normalisation happens in the generator.
package main

import (
	"compress/gzip"
	"encoding/csv"
	"log"
	"os"
	"strings"
)

// Spellings as they appear in vPIC; the generator maps them to their usual European spelling.
var makes = map[string]bool{
	"Honda": true, "Yamaha": true, "Kawasaki": true, "Suzuki": true, "KTM": true, "Husqvarna": true,
	"BMW": true, "Ducati": true, "Triumph": true, "Harley-Davidson": true, "CAN-AM": true,
	"Polaris": true, "CFMOTO": true, "APRILIA": true, "Beta": true, "GasGas": true, "Sherco": true,
	"SEGWAY": true, "KYMCO": true, "Indian Motorcycle": true, "Moto Guzzi": true,
	"MV Agusta Motor": true, "Benelli": true, "Royal Enfield": true, "PIAGGIO": true, "VESPA": true,
	"Husaberg": true, "Zero Motorcycles": true, "Buell": true, "Victory": true, "Linhai": true,
	"HISUN": true,
}

var keep = []string{"make", "model", "series", "trim", "year_from", "year_to", "displacement_cc", "body_class"}

func main() {
	in, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	r := csv.NewReader(in)
	head, err := r.Read()
	if err != nil {
		log.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	out, err := os.Create("vpic_powersport.csv.gz")
	if err != nil {
		log.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.BestCompression)
	w := csv.NewWriter(zw)
	w.Write(keep)
	seen := map[string]bool{}
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if !makes[rec[col["make"]]] {
			continue
		}
		row := make([]string, len(keep))
		for i, k := range keep {
			row[i] = strings.TrimSpace(rec[col[k]])
		}
		key := strings.Join(row, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
}
