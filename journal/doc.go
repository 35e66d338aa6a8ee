// Package journal is an ordered, durable log of opaque records (one record = one
// acknowledged batch of tenant changes). The tenant layer appends a record before it answers
// a write and replays the log from its last checkpoint at start-up; a checkpoint lets it
// truncate what it no longer needs.
//
// # Contract
//
// Records get sequence numbers 1, 2, 3, ... with no gaps. Append returns only once its record
// is durable: written and fsynced, so it survives a crash of the process or of the machine.
// A record whose Append returned an error may or may not be in the log after a restart (the
// write may have reached the disk before the failure); one whose Append returned nil always
// is. The log never reorders, duplicates or re-numbers records.
//
// ReadFrom delivers the records from a given sequence number up to the Last() observed when
// it starts. Truncate(upTo) is a permission, not an order: it discards whole segments whose
// records are all <= upTo, so First() may stay below upTo+1.
//
// # Concurrency
//
// A *Segmented is safe for concurrent use by any number of goroutines. Appends are group
// committed: one committer goroutine takes every append waiting at that moment (up to
// Options.MaxBatchBytes), writes them with one write and one fsync, and answers them all.
// There is no timer: a lone append on an idle log is committed at once, and batches grow by
// themselves when fsyncs are slow relative to the arrival rate. ReadFrom reads the segment
// files through its own handles and runs alongside Append and Truncate.
//
// Only one *Segmented may have a directory open at a time; nothing guards against a
// second opener, in this process or another.
//
// # Failure
//
// The log is fail-stop. After a failed write or fsync the state of the file is unknown (a
// failed fsync may have dropped the dirty pages, and retrying it can report success for
// data that is gone), so the log does not retry: that Append, every one waiting with it and
// every later one return an error wrapping ErrFailed and the cause. Reading, Truncate and
// Close keep working; reopening the directory recovers whatever reached the disk.
//
// # Recovery
//
// Open scans every segment and checks headers, checksums and sequence continuity. Each
// batch is delimited on disk, so recovery knows where the last complete batch ends: what
// follows it in the newest segment is a batch that a crash tore before it was acknowledged
// (its pages may have reached the disk in any order, so some of its records after the
// damage may be whole), and it is cut off. Anything else that does not check out — damage
// followed by a record of a later batch, damage in an older segment, a gap between
// segments — is reported as ErrCorrupt naming the file and byte offset, and the log
// refuses to open: it cannot tell which acknowledged writes are lost.
//
// The on-disk format is described in FORMAT.md. All file access goes through FS, so tests
// can run the log on CrashFS, which models what a power loss keeps.
package journal

import "errors"

// Log is what the tenant layer needs from a log transport. *Segmented implements it on
// local files; another transport (a replicated stream) can implement the same contract.
type Log interface {
	// Append writes rec as the next record and returns its sequence number once the
	// record is durable. Safe for concurrent use: appends that arrive while a write is in
	// flight are written together and share one fsync. rec must not be modified during
	// the call and may be reused by the caller after Append returns.
	Append(rec []byte) (seq uint64, err error)
	// ReadFrom calls fn for every durable record with seq >= from, in order, up to the
	// Last() observed when ReadFrom starts. from 0 means 1. It fails with ErrTruncated,
	// before calling fn, when from < First(): some records from `from` on are no longer
	// held. A log that was never truncated has First() == 1, so ReadFrom(1) always reads
	// it whole. from > Last() calls nothing and returns nil. An error from fn stops the
	// read and is returned as is. rec is only valid during the call.
	ReadFrom(from uint64, fn func(seq uint64, rec []byte) error) error
	// First is the sequence number of the oldest record held (Last()+1 when none is).
	First() uint64
	// Last is the sequence number of the newest durable record (0 when none was ever
	// written). It survives truncation and restarts.
	Last() uint64
	// Truncate lets records with seq <= upTo be discarded. Only whole segments whose
	// records are all <= upTo are removed, never the one being written; the removal is
	// durable when Truncate returns.
	Truncate(upTo uint64) error
	// Close waits for pending appends to finish and releases the files. Append,
	// ReadFrom and Truncate fail with ErrClosed afterwards; Close again returns nil.
	Close() error
}

var _ Log = (*Segmented)(nil)

// Errors returned by the log, always wrapped with more detail; test with errors.Is.
var (
	// ErrCorrupt: the files fail a check that a crash cannot explain; Open refuses them.
	ErrCorrupt = errors.New("corrupt journal")
	// ErrTruncated: the records asked for were discarded by Truncate.
	ErrTruncated = errors.New("journal records truncated")
	// ErrFailed: an earlier write or fsync failed; the log accepts no more appends.
	ErrFailed = errors.New("journal failed")
	// ErrClosed: the log was closed.
	ErrClosed = errors.New("journal closed")
	// ErrTooLarge: a record longer than MaxRecordBytes.
	ErrTooLarge = errors.New("journal record too large")
)

// MaxRecordBytes is the largest record Append accepts. It bounds what a reader trusts a
// length field with.
const MaxRecordBytes = 1 << 30

// Options configure a log. Zero fields take the value in DefaultOptions.
type Options struct {
	// FS is the file system the log lives in.
	FS FS
	// SegmentBytes: a new segment file is started before a write once the current one
	// has reached this size. A segment can exceed it by one batch.
	SegmentBytes int64
	// MaxBatchBytes caps the record bytes one write and fsync carries; a batch always
	// holds at least one record, however large.
	MaxBatchBytes int
}

// DefaultOptions are the values used for zero fields of Options.
var DefaultOptions = Options{
	FS:            OS,
	SegmentBytes:  64 << 20,
	MaxBatchBytes: 16 << 20,
}

func (o Options) withDefaults() Options {
	if o.FS == nil {
		o.FS = DefaultOptions.FS
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultOptions.SegmentBytes
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultOptions.MaxBatchBytes
	}
	return o
}

// Stats are cumulative counters since Open, for metrics and tests.
type Stats struct {
	Appends uint64 // records acknowledged
	Batches uint64 // write+fsync rounds that carried records
	Syncs   uint64 // every fsync issued: batches, new segment files, directories
	Bytes   uint64 // framed record bytes written by successful batches
	// TornBytes is what Open cut off the newest segment: an unacknowledged batch torn by
	// a crash. Worth logging; not an error.
	TornBytes uint64
}
