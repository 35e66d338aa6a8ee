package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// quantile returns the q-quantile of ds by nearest rank; 0 for none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ms formats a duration in milliseconds with sensible precision.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64) + " ms"
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + " ms"
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func rate(rows int64, d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return commas(int64(float64(rows)/d.Seconds())) + " rows/s"
}

// row prints one Markdown table row of the results (stdout).
func row(what, measured, target string) {
	fmt.Printf("| %s | %s | %s |\n", what, measured, target)
}

// note prints a detail line (stderr).
func note(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func msList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strings.TrimSuffix(ms(d), " ms")
	}
	return strings.Join(parts, ", ") + " ms"
}

func mb(n int) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB" }

// serverCPU measures fitmentd's CPU use (--pid) over a phase: start it, then call the
// returned function for "; server CPU 1.23 cores" (or "" without --pid). On a 2-core
// machine, a phase that leaves the server well under 2 cores while clients wait is
// serialised somewhere rather than short of CPU.
func (e *env) serverCPU() func() string {
	if e.o.pid <= 0 {
		return func() string { return "" }
	}
	c0, t0 := cpuSeconds(e.o.pid), time.Now()
	return func() string {
		c1 := cpuSeconds(e.o.pid)
		if c0 < 0 || c1 < 0 {
			return ""
		}
		return fmt.Sprintf("; server CPU %.2f cores", (c1-c0)/time.Since(t0).Seconds())
	}
}

// cpuSeconds is the user+system CPU time of a process, from /proc (-1 when unreadable).
func cpuSeconds(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces: count fields after its closing ')'.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseFloat(f[11], 64) // field 14 of the whole line
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	const clockTicks = 100 // USER_HZ on Linux
	return (ut + st) / clockTicks
}
