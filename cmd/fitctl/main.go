// Command fitctl is the offline tool of the fitment engine: it generates source catalogs,
// builds snapshots from them, inspects and compares snapshots, prepares demo data
// directories, and exports fitment links.
package main

import (
	"fmt"
	"os"
	"sort"
)

// A command is one fitctl subcommand; each lives in its own file and registers itself.
type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: fitctl COMMAND [flags]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'fitctl COMMAND -h' for a command's flags.\n")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "fitctl: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "fitctl %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
