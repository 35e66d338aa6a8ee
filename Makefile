# The fitment engine. `make run` for a demo server, `make test` for the test suite.

GO      ?= go
BIN     := bin
DEMO    := var/demo
PROFILE ?= small
SEED    ?= 1
ADDR    ?= 127.0.0.1:8080

.PHONY: all build run demo test fuzz bench bench-eu vet clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# Generate the demo catalog, build its snapshot, create the demo tenants, then serve.
# The generated sources and the tenants are reused on later runs (`make clean` starts
# over); the snapshot is rebuilt every time (seconds), so it always matches the binaries.
demo: build
	@test -f $(DEMO)/catalog/fitments.csv || $(BIN)/fitctl gen --profile $(PROFILE) --seed $(SEED) --out $(DEMO)/catalog
	@$(BIN)/fitctl build --in $(DEMO)/catalog --out $(DEMO)/catalog.snap
	@$(BIN)/fitctl demo --catalog $(DEMO)/catalog --data $(DEMO)/data --snapshot $(DEMO)/catalog.snap --url http://$(ADDR)

run: demo
	$(BIN)/fitmentd --snapshot $(DEMO)/catalog.snap --data $(DEMO)/data --addr $(ADDR)

vet:
	$(GO) vet ./...

# Every test, under the race detector (needs cgo: gcc is on the machine image), then the
# tests that measure memory, which skip under it (its shadow memory hides what they measure).
test: vet
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'MemoryBounded' ./httpapi

# Short fuzzing passes over every parser; crashers land in testdata/fuzz/.
fuzz:
	$(GO) test ./ingest -run '^$$' -fuzz FuzzParseYears -fuzztime 30s
	$(GO) test ./ingest -run '^$$$$' -fuzz FuzzBuild -fuzztime 30s
	$(GO) test ./snapshot -run '^$$' -fuzz FuzzDecodeSections -fuzztime 30s
	$(GO) test ./engine -run '^$$' -fuzz FuzzOpenMutated -fuzztime 30s
	$(GO) test ./index -run '^$$' -fuzz FuzzSearch -fuzztime 30s

# Engine benchmarks on the small profile (generated into a cache directory on first use).
bench:
	FITMENT_BENCH_PROFILE=small $(GO) test ./engine -run '^$$' -bench . -benchmem -count 6 -timeout 60m | tee benchmarks/last-small.txt

# The benchmark of record: eu profile build, load, memory and query latencies.
bench-eu: build
	benchmarks/eu.sh

clean:
	rm -rf $(BIN) var
