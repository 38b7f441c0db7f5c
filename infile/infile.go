// Package infile reads the file of a LOAD DATA LOCAL INFILE statement the
// way MariaDB's server reads it: it cuts the byte stream into rows where the
// server would (not inside an enclosed field, not after an escape) and
// decodes one field of each row, the shard key. Strata forwards each row's
// bytes unchanged to the shard that owns it, so every shard's server parses
// exactly the rows it got; what must match the server is only where a row
// ends and what its key field holds.
//
// The rules follow READ_INFO in MariaDB's sql/sql_load.cc: a field that
// starts with the enclosing character runs to the next enclosing character
// followed by a field or line terminator (a doubled one is literal); the
// escape character takes the next byte literally (\0 \b \n \r \t \Z decode
// to control bytes, \N is NULL); lines may have to start with a prefix;
// the fields past the last column are skipped to the line terminator
// honouring escapes only; and IGNORE n LINES skips lines the same way.
package infile

import (
	"bytes"
	"errors"
)

// Format is the FIELDS and LINES clauses of a LOAD DATA statement.
type Format struct {
	FieldTerm string // FIELDS TERMINATED BY (default "\t")
	Enclosed  byte   // FIELDS [OPTIONALLY] ENCLOSED BY, 0 when none
	Escape    byte   // FIELDS ESCAPED BY (default '\\'), 0 when none
	LineStart string // LINES STARTING BY (default "")
	LineTerm  string // LINES TERMINATED BY (default "\n")
}

// Default is the format of a LOAD DATA without FIELDS or LINES clauses.
func Default() Format {
	return Format{FieldTerm: "\t", Escape: '\\', LineTerm: "\n"}
}

// Validate refuses formats whose rows this package cannot cut as the
// server does.
func (f Format) Validate() error {
	switch {
	case f.FieldTerm == "" && f.Enclosed == 0:
		return errors.New("fixed-width rows (FIELDS TERMINATED BY '' and no ENCLOSED BY) depend on column widths")
	case f.LineTerm == "":
		return errors.New("LINES TERMINATED BY '' leaves no line boundary")
	}
	return nil
}

// Field is one decoded field of a row.
type Field struct {
	Value   []byte // the field's bytes, escapes and enclosure undone
	Null    bool   // \N, or the bare word NULL when fields are enclosed
	Missing bool   // the row ended before this field
}

// Reader cuts a file into rows as its bytes arrive (Feed), then hands
// out whole rows (Next). Slices it returns stay valid until the next Feed.
type Reader struct {
	f      Format
	fields int // columns the statement fills: the server reads that many fields
	key    int // which field to decode
	buf    []byte
	off    int
	val    []byte // the field being decoded (reused)
	keyBuf []byte // the key field of the last row (reused)
	// watch are more fields to decode, watched the last row's of each
	// (Watched).
	watch   []int
	watched []Field
	bufs    [][]byte
}

// NewReader reads rows of f whose statement fills fields columns, and
// decodes field key (0-based) of each.
func NewReader(f Format, fields, key int) *Reader {
	return &Reader{f: f, fields: max(fields, key+1), key: key}
}

// Watch makes the reader decode field (0-based) of each row too, beside
// the key, and returns the index Watched takes for it; a field past the
// columns the statement fills is Missing.
func (r *Reader) Watch(field int) int {
	r.watch = append(r.watch, field)
	r.watched = append(r.watched, Field{Missing: true})
	r.bufs = append(r.bufs, nil)
	return len(r.watch) - 1
}

// Watched is watched field i (Watch) of the row Next returned last.
func (r *Reader) Watched(i int) Field { return r.watched[i] }

// Feed appends the next bytes of the file.
func (r *Reader) Feed(p []byte) {
	if r.off > 0 {
		n := copy(r.buf, r.buf[r.off:])
		r.buf = r.buf[:n]
		r.off = 0
	}
	r.buf = append(r.buf, p...)
}

// SkipLine returns the next line as IGNORE n LINES skips it: up to the
// line terminator, honouring escapes but not enclosures. ok is false when
// the line is not whole yet (final: the file has ended, and the rest is
// the last line, if any).
func (r *Reader) SkipLine(final bool) (raw []byte, ok bool) {
	b := r.buf[r.off:]
	end, done := r.toLineEnd(b, 0, final)
	if !done || end == 0 {
		return nil, false
	}
	r.off += end
	return b[:end], true
}

// Next returns the next whole row, its bytes from the line prefix (when
// the format has one) through its terminator, and its key field. ok is
// false when no whole row is there yet; with final (the file has ended)
// the remaining bytes make the last row, and ok is false only when none
// is left.
func (r *Reader) Next(final bool) (raw []byte, key Field, ok bool) {
	b := r.buf[r.off:]
	start := 0
	if r.f.LineStart != "" {
		i := bytes.Index(b, []byte(r.f.LineStart))
		if i < 0 {
			if final {
				r.off = len(r.buf) // no prefix left: the server skips the rest
			}
			return nil, Field{}, false
		}
		start = i
	}
	fields := start + len(r.f.LineStart)
	end, key, done := r.scanRow(b, fields, final)
	// Nothing after the line (or its prefix) before the file ends: no row.
	if !done || (final && end == fields) {
		if final {
			r.off = len(r.buf)
		}
		return nil, Field{}, false
	}
	r.off += end
	return b[start:end], key, true
}

// scanRow reads the fields of the row starting at i and returns where the
// row ends (after its terminator) and its key field.
func (r *Reader) scanRow(b []byte, i int, final bool) (int, Field, bool) {
	key := Field{Missing: true}
	for i := range r.watched {
		r.watched[i] = Field{Missing: true}
	}
	for field := 0; field < r.fields; field++ {
		if i >= len(b) {
			if !final {
				return 0, Field{}, false
			}
			return len(b), key, true
		}
		next, val, null, eol, done := r.scanField(b, i, final)
		if !done {
			return 0, Field{}, false
		}
		if field == r.key {
			r.keyBuf = append(r.keyBuf[:0], val...)
			key = Field{Value: r.keyBuf, Null: null}
		}
		for i, w := range r.watch {
			if field == w {
				r.bufs[i] = append(r.bufs[i][:0], val...)
				r.watched[i] = Field{Value: r.bufs[i], Null: null}
			}
		}
		i = next
		if eol {
			return i, key, true
		}
	}
	// More fields than columns: the server skips to the line's end.
	end, done := r.toLineEnd(b, i, final)
	return end, key, done
}

// scanField reads one field starting at i. It returns where the next field
// starts (past the terminator), the decoded value when the field is the
// key, whether it was NULL, whether it ended the line, and false when the
// bytes run out before the field ends and more may come.
func (r *Reader) scanField(b []byte, i int, final bool) (next int, val []byte, null, eol, done bool) {
	f := &r.f
	r.val = r.val[:0]
	enclosed := f.Enclosed != 0 && b[i] == f.Enclosed
	if enclosed {
		i++
	}
	sawEscapeN := false
	for i < len(b) {
		c := b[i]
		if f.Escape != 0 && c == f.Escape {
			if i+1 >= len(b) {
				if !final {
					return 0, nil, false, false, false
				}
				r.val = append(r.val, c)
				return r.atEOF(b, enclosed, sawEscapeN)
			}
			d := b[i+1]
			// With the escape the same as the enclosure, only a doubled
			// one is an escape (ENCLOSED BY '"' ESCAPED BY '"').
			if f.Escape != f.Enclosed || d == f.Escape {
				if d == 'N' {
					sawEscapeN = true
				}
				r.val = append(r.val, unescape(d))
				i += 2
				continue
			}
		}
		if enclosed && c == f.Enclosed {
			if i+1 >= len(b) && !final {
				return 0, nil, false, false, false
			}
			if i+1 < len(b) && b[i+1] == f.Enclosed {
				r.val = append(r.val, c)
				i += 2
				continue
			}
			if m, need := match(b, i+1, f.FieldTerm, final); need {
				return 0, nil, false, false, false
			} else if m {
				return i + 1 + len(f.FieldTerm), r.val, r.isNull(true, sawEscapeN), false, true
			}
			if m, need := match(b, i+1, f.LineTerm, final); need {
				return 0, nil, false, false, false
			} else if m || i+1 >= len(b) {
				return i + 1 + min(len(f.LineTerm), len(b)-i-1), r.val, r.isNull(true, sawEscapeN), true, true
			}
			r.val = append(r.val, c) // an enclosing character inside the field
			i++
			continue
		}
		if !enclosed {
			if m, need := match(b, i, f.LineTerm, final); need {
				return 0, nil, false, false, false
			} else if m {
				return i + len(f.LineTerm), r.val, r.isNull(false, sawEscapeN), true, true
			}
			if m, need := match(b, i, f.FieldTerm, final); need {
				return 0, nil, false, false, false
			} else if m {
				return i + len(f.FieldTerm), r.val, r.isNull(false, sawEscapeN), false, true
			}
		}
		r.val = append(r.val, c)
		i++
	}
	if !final {
		return 0, nil, false, false, false
	}
	return r.atEOF(b, enclosed, sawEscapeN)
}

// atEOF ends a field the file ends inside. Of an enclosed one the server
// keeps the opening character as data.
func (r *Reader) atEOF(b []byte, enclosed, sawEscapeN bool) (next int, val []byte, null, eol, done bool) {
	if enclosed {
		r.val = append([]byte{r.f.Enclosed}, r.val...)
	}
	return len(b), r.val, r.isNull(enclosed, sawEscapeN), true, true
}

// isNull is the server's test (read_sep_field): a field that decodes to
// the one byte of \N, or, when fields may be enclosed, the bare word NULL.
func (r *Reader) isNull(enclosed, sawEscapeN bool) bool {
	return (sawEscapeN && len(r.val) == 1) || (!enclosed && r.f.Enclosed != 0 && string(r.val) == "NULL")
}

// toLineEnd returns the end of the line that goes on at i (after the line
// terminator), honouring escapes but not enclosures, as the server's
// next_line does.
func (r *Reader) toLineEnd(b []byte, i int, final bool) (int, bool) {
	for i < len(b) {
		if r.f.Escape != 0 && b[i] == r.f.Escape {
			i += 2
			continue
		}
		m, need := match(b, i, r.f.LineTerm, final)
		if need {
			return 0, false
		}
		if m {
			return i + len(r.f.LineTerm), true
		}
		i++
	}
	if !final {
		return 0, false
	}
	return len(b), true
}

// match reports whether term starts at b[i]; need is true when b ends
// inside what could still be term and more bytes may come.
func match(b []byte, i int, term string, final bool) (m, need bool) {
	if term == "" {
		return false, false
	}
	rest := b[i:]
	if len(rest) >= len(term) {
		return string(rest[:len(term)]) == term, false
	}
	return false, !final && string(rest) == term[:len(rest)]
}

// unescape is what the server makes of the byte after an escape.
func unescape(c byte) byte {
	switch c {
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 0x1a
	}
	return c
}
