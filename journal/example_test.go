package journal_test

import (
	"fmt"
	"log"
	"os"

	"github.com/fitment/fitment/journal"
)

func Example() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	j, err := journal.Open(dir, journal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// Append returns once the record is on disk: only then may the write be acknowledged.
	for _, change := range []string{"tenant t1: stock feed", "tenant t1: price feed"} {
		if _, err := j.Append([]byte(change)); err != nil {
			log.Fatal(err) // the log is fail-stop: every later Append fails too
		}
	}
	j.Close()

	// At start-up: replay everything after the last checkpoint (here: nothing yet).
	j, err = journal.Open(dir, journal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer j.Close()
	err = j.ReadFrom(1, func(seq uint64, rec []byte) error {
		fmt.Println(seq, string(rec))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Once a checkpoint covers record 2, the log may let it go.
	if err := j.Truncate(2); err != nil {
		log.Fatal(err)
	}
	fmt.Println("first", j.First(), "last", j.Last())
	// Output:
	// 1 tenant t1: stock feed
	// 2 tenant t1: price feed
	// first 1 last 2
}
