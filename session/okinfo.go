package session

import (
	"fmt"
	"strings"
)

// okInfo adds up the info lines of the OKs a write's statements on
// several shards answered into the line one server would send for the
// whole statement, which the mariadb client prints under its count and
// PHP's mysqli_info() returns ("Rows matched: 6  Changed: 4  Warnings: 0"
// is how a mysqli app learns the rows an UPDATE matched). MariaDB writes
// three kinds, each of counts that add up over the shards' parts:
//
//	INSERT of several rows, ALTER: Records: 3  Duplicates: 0  Warnings: 0
//	UPDATE:                        Rows matched: 6  Changed: 4  Warnings: 0
//	LOAD DATA:                     Records: 3  Deleted: 0  Skipped: 0  Warnings: 0
type okInfo struct {
	format string   // the kind's format; "" before the first line
	counts []uint64 // its counts so far
	// unread: a line of another kind than the first, or none where the
	// others had one; the sum would be wrong, so no line is sent.
	unread bool
}

// okInfoFormats are the lines MariaDB writes (ER_LOAD_INFO,
// ER_INSERT_INFO, ER_UPDATE_INFO), with as many counts as each has.
var okInfoFormats = []struct {
	format string
	counts int
}{
	{"Records: %d  Deleted: %d  Skipped: %d  Warnings: %d", 4},
	{insertInfoFormat, 3},
	{"Rows matched: %d  Changed: %d  Warnings: %d", 3},
}

// insertInfoFormat is the line of an INSERT of several rows.
const insertInfoFormat = "Records: %d  Duplicates: %d  Warnings: %d"

// add counts one part's line ("" where its OK had none).
func (o *okInfo) add(line string) {
	if line == "" {
		o.unread = true
		return
	}
	for _, f := range okInfoFormats {
		if !strings.HasPrefix(line, f.format[:strings.IndexByte(f.format, '%')]) {
			continue
		}
		counts := make([]uint64, f.counts)
		ptrs := make([]any, f.counts)
		for i := range counts {
			ptrs[i] = &counts[i]
		}
		if n, err := fmt.Sscanf(line, f.format, ptrs...); err != nil || n != f.counts {
			continue
		}
		o.addCounts(f.format, counts)
		return
	}
	o.unread = true
}

// addCounts counts one part's counts, of format.
func (o *okInfo) addCounts(format string, counts []uint64) {
	switch {
	case o.format == "":
		o.format, o.counts = format, counts
	case o.format != format:
		o.unread = true
	default:
		for i, n := range counts {
			o.counts[i] += n
		}
	}
}

// String is the whole statement's line, or "" when there is none or the
// parts' lines did not add up.
func (o *okInfo) String() string {
	if o.format == "" || o.unread {
		return ""
	}
	args := make([]any, len(o.counts))
	for i, n := range o.counts {
		args[i] = n
	}
	return fmt.Sprintf(o.format, args...)
}
