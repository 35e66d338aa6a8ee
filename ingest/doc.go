// Package ingest turns a directory of catalog source files (vehicles.csv, parts.csv,
// fitments.csv, each possibly .csv.gz or .csv.zst; see shared/spec/catalog-format.md)
// into a *snapshot.Catalog, validating every row and reporting what it rejected.
//
//	cat, rep, err := ingest.Build(dir, ingest.DefaultOptions())
//	rep.WriteTo(reportFile) // every rejected row as "file:line: reason"
//	if err != nil { ... }   // fatal problem or too many rejected rows: no catalog
//
// Build is safe to call concurrently on different directories; it uses all cores for
// sanitising descriptions. The catalog it returns is complete and must not be modified.
//
// # Decisions where the format leaves room
//
//   - Reading. Each file is read once with encoding/csv. Line numbers are physical lines
//     of the row's start (the header is line 1), also after fields with line breaks.
//     Blank lines are skipped, as encoding/csv does. A row with the wrong number of
//     fields, invalid UTF-8 or a quoting error confined to its own line is a rejected
//     row and reading goes on with the next line. A quoting error in a quoted field that
//     ran over line ends (typically an unterminated quote) is fatal and names the line
//     where the field opened: the reader cannot tell which of the swallowed lines were
//     rows, and dropping them silently would lose data. So no row that could be read is
//     ever lost: either every row is accepted or reported, or the build fails.
//   - Headers. A header cell is trimmed and lower-cased; a repeated column is fatal; a
//     column nobody knows is one warning per file. name_xx / description_xx need exactly
//     two lower-case letters after the underscore (name_deu is an unknown column).
//   - Years. Overlapping or repeated years within one cell are merged ("2019-2021, 2020"
//     is 2019-2021); order does not matter; spaces around '-' and ',' are allowed.
//   - vehicles.csv. Make, model and submodel spellings are compared with snapshot.Key;
//     the first spelling is displayed. Rows naming an existing vehicle merge into it: an
//     attribute (engine_cc, generation) is taken from the first row that gives it. A
//     model whose rows disagree on the type keeps the first type and the disagreeing row
//     is rejected. engine_cc is a whole number (0 = unknown). Implicit wildcard vehicles
//     have no engine_cc or generation unless a row names the wildcard explicitly.
//   - parts.csv. A repeated part number (after Key) is rejected, the first row wins.
//     Category levels are split at '>' and trimmed; empty levels or more than three are
//     rejected; a node's display path is its parent's path plus its first spelling.
//     A description is HTML when it contains '<' followed by a letter, '/' or '!';
//     otherwise it is plain text: escaped, paragraphs at blank lines, <br> at single
//     line breaks, each paragraph in <p>. HTML goes through bluemonday with exactly the
//     allow-list of the format; href and src must be http, https, mailto or relative.
//     Empty items of oem_numbers and image_urls ('|' twice) are skipped; an item of
//     oem_numbers without "BRAND:NUMBER" rejects the row. EAN is 8-14 ASCII digits (the
//     check digit is not verified). Dimensions are non-negative decimals. universal is
//     true or false in any case.
//   - fitments.csv. position is upper-cased and must be a short word: at most 32
//     letters, digits, '-', '_' or '/'. qty is 1-65535. An unknown submodel or year is
//     reported as "unknown vehicle Make/Model/Submodel/Year" with the row's spelling and
//     the first year missing (the wildcard shows as an empty submodel: "Make/Model//2019").
//     Fitments of universal parts are kept like any other (the engine leaves universal
//     parts out of vehicle results unless asked) but do not count in BrandVehicles.
//   - Merging. Fitments with the same (part, vehicle, position) after year expansion are
//     one fitment: qty and notes come from the first row in file order that gives them.
//     Report.MergedDuplicates counts the fitments merged away.
//   - Tables. Positions and Notes are sorted (byte order) with "" first; Details entries
//     of one link are sorted by position id.
//   - Rejects. The limit is Options.MaxRejects, or MaxRejectRatio of all data rows (of
//     the three files together) when MaxRejects is negative; DefaultOptions is 0.1 %.
//     The zero Options tolerate no rejected row. A rejected part also rejects its
//     fitments ("unknown part"), so one bad part row can cost several rejects.
package ingest
