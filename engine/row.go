package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Value is one text-protocol column value; nil is SQL NULL. A non-nil
// empty slice is the empty string.
type Value = []byte

// Row is one result row. Streams hand rows to the caller, which may keep
// them: a RowStream must not reuse a row's memory after returning it.
type Row []Value

// Column describes one result column as the shards report it.
type Column struct {
	Name     string
	Type     byte   // MySQL field type code (TypeLong, TypeVarString, ...)
	Flags    uint16 // MySQL column flags (FlagUnsigned, FlagBinary, ...)
	Charset  uint16 // collation id (63 = binary)
	Decimals byte
	// Length is the display length the definition gives (0: as the
	// shards' column, when Strata retypes one).
	Length uint32
	// Schema, OrgTable and OrgName name the table column a text value
	// comes from, when it is one (not an expression).
	Schema, OrgTable, OrgName string
	// Collation, when set, is the collation the value compares by: the
	// source column's own. A server reports every text column in the
	// connection's collation, while it sorts, groups and de-duplicates by
	// the column's.
	Collation string
	// CollationUnknown, when set, says why the collation of this text
	// value is not known (an expression Strata does not follow): a merge
	// that compares it refuses with that reason.
	CollationUnknown string
	// Members: an ENUM or SET column's members in their definition's
	// order (FlagEnum, FlagSet), which a server sorts it by; nil when
	// Strata does not know them, and a merge that sorts it refuses.
	Members []string
}

// RowStream yields rows; Next returns io.EOF after the last one. Close
// releases the stream and may be called at any time, also before EOF.
type RowStream interface {
	Next(ctx context.Context) (Row, error)
	Close() error
}

// FoundRowser is a stream that counts rows as MariaDB's FOUND_ROWS() does
// after a SELECT without SQL_CALC_FOUND_ROWS (Limit, and streams that
// pass its count on); for any other stream that is the rows it returned.
type FoundRowser interface {
	FoundRows() int64
}

// Source is something that can be opened into a RowStream, such as one
// shard's query or one period table. Opening is separate from reading so
// that OrderedWalk can leave sources it does not need unopened.
type Source interface {
	Name() string
	Open(ctx context.Context) (RowStream, error)
}

// NewSource adapts a name and an open function into a Source.
func NewSource(name string, open func(ctx context.Context) (RowStream, error)) Source {
	return funcSource{name: name, open: open}
}

// StreamSource wraps an already open stream as a Source, for merging
// streams that are running already.
func StreamSource(name string, s RowStream) Source {
	return NewSource(name, func(context.Context) (RowStream, error) { return s, nil })
}

type funcSource struct {
	name string
	open func(ctx context.Context) (RowStream, error)
}

func (f funcSource) Name() string                                { return f.name }
func (f funcSource) Open(ctx context.Context) (RowStream, error) { return f.open(ctx) }

// SourceError is an error from one source of a merged stream.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("source %s: %v", e.Source, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// sourceErr wraps err with the source's name unless it already names one.
func sourceErr(name string, err error) error {
	var se *SourceError
	if errors.As(err, &se) {
		return err
	}
	return &SourceError{Source: name, Err: err}
}

// Collect reads s to the end and closes it. On error it returns the rows
// read so far with the error, which callers must not treat as a result.
func Collect(ctx context.Context, s RowStream) ([]Row, error) {
	var rows []Row
	for {
		r, err := s.Next(ctx)
		if err == nil {
			rows = append(rows, r)
			continue
		}
		if err == io.EOF {
			err = nil
		}
		if cerr := s.Close(); cerr != nil {
			return rows, errors.Join(err, cerr)
		}
		return rows, err
	}
}

// ErrUnsorted is what MergeSort (with CheckOrder), Aggregate and Distinct
// report when a source's rows are not in the order they merge by: the
// servers sorted them under a collation that Strata's comparison does not
// reproduce for these values (an approximated collation, or values the
// connection's character set turned into '?'). Merging on would misplace
// rows or split a group, so the stream stops instead.
var ErrUnsorted = errors.New("rows out of the order Strata merges by")
