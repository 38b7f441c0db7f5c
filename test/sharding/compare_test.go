package sharding

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/strata-proxy/strata/engine"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// result is a query's answer as text: column names and rows, NULL as nullText.
type result struct {
	cols []string
	rows [][]string
}

const nullText = "\x00NULL"

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// preparing runs each query as a server-side prepared statement (binary
// rows), closing it at the next query, after its rows were read.
type preparing struct {
	conn *sql.Conn
	last *sql.Stmt
}

func (p *preparing) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if p.last != nil {
		p.last.Close()
		p.last = nil
	}
	stmt, err := p.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.last = stmt
	return stmt.QueryContext(ctx, args...)
}

func runQuery(ctx context.Context, q querier, query string) (*result, error) {
	return runQueryArgs(ctx, q, query)
}

// runQueryArgs is runQuery with bound arguments (a server-side prepared
// statement when there are any).
func runQueryArgs(ctx context.Context, q querier, query string, args ...any) (*result, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &result{cols: cols}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range raw {
			if v == nil {
				row[i] = nullText
			} else {
				row[i] = string(v)
			}
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

// inUTF8 converts r's values from charset, a single-byte character set a
// client read them in, to UTF-8, which the comparison's collations read.
func (r *result) inUTF8(charset string) {
	if r == nil {
		return
	}
	for _, row := range r.rows {
		for i, v := range row {
			if v != nullText {
				row[i], _ = engine.DecodeSingleByte(charset, v)
			}
		}
	}
}

// roundDoubles writes each number of more than 12 significant digits
// (a whole double, as binary rows bring a STDDEV) with 12: summed in
// another order, as a server does over rows Strata read first, a double
// differs in its last digits.
func (r *result) roundDoubles() {
	if r == nil {
		return
	}
	for _, row := range r.rows {
		for i, v := range row {
			digits := strings.Count(v, "") - 1 - strings.Count(v, ".") - strings.Count(v, "-")
			if digits <= 12 && !strings.Contains(v, "e") || strings.ContainsAny(v, "|:, ") {
				continue
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				// One form for one rounded value: 2140274.0000000002
				// and 2.140274e+06 alike.
				f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
				row[i] = strconv.FormatFloat(f, 'g', -1, 64)
			}
		}
	}
}

type compareMode int

const (
	// multiset: no ORDER BY, any row order.
	multiset compareMode = iota
	// ordered: ORDER BY without LIMIT: the ORDER BY keys come in the same
	// sequence, rows tied on them in any order.
	ordered
	// exact: ORDER BY ending with a unique column, LIMIT/OFFSET: one answer.
	exact
)

func (m compareMode) String() string { return [...]string{"multiset", "ordered", "exact"}[m] }

// fold is utf8mb4_general_ci equality for the strings the data set uses:
// lower case without accents.
func fold(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if base, ok := unaccent[c]; ok {
			c = base
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

var unaccent = func() map[rune]rune {
	m := map[rune]rune{}
	for base, alts := range accents {
		for _, a := range alts {
			m[a] = base
		}
	}
	for _, p := range []string{"åa", "íi", "ée", "öo", "úu", "ệe", "ëe", "ôo"} {
		r := []rune(p)
		m[r[0]] = r[1]
	}
	return m
}()

// normalize folds the columns whose value may legitimately be any of a
// set of collation-equal strings.
func normalize(rows [][]string, foldCols []int) [][]string {
	if len(foldCols) == 0 {
		return rows
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		r = slices.Clone(r)
		for _, c := range foldCols {
			if r[c] != nullText {
				r[c] = fold(r[c])
			}
		}
		out[i] = r
	}
	return out
}

func rowText(r []string) string {
	parts := make([]string, len(r))
	for i, v := range r {
		if v == nullText {
			v = "NULL"
		}
		parts[i] = v
	}
	return strings.Join(parts, " | ")
}

func sortedTexts(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\x01")
	}
	slices.Sort(out)
	return out
}

// compareResults returns "" when got is an acceptable answer given want
// (the single server's), else what differs.
func compareResults(q *genQuery, got, want *result) string {
	if !slices.Equal(got.cols, want.cols) {
		return fmt.Sprintf("columns %q, want %q", got.cols, want.cols)
	}
	if len(got.rows) != len(want.rows) {
		return fmt.Sprintf("%d rows, want %d%s", len(got.rows), len(want.rows), firstDiff(got, want))
	}
	g, w := normalize(got.rows, q.foldCols), normalize(want.rows, q.foldCols)
	switch q.mode {
	case exact:
		for i := range g {
			if !rowsMatch(g[i], w[i]) {
				return fmt.Sprintf("row %d is %s, want %s", i, rowText(got.rows[i]), rowText(want.rows[i]))
			}
		}
		return ""
	case ordered:
		for i := range g {
			gk, wk := orderKey(g[i], q), orderKey(w[i], q)
			if gk != wk {
				return fmt.Sprintf("row %d has ORDER BY key %q, want %q (row %s, want %s)", i, gk, wk, rowText(got.rows[i]), rowText(want.rows[i]))
			}
		}
	}
	gs, ws := sortedTexts(g), sortedTexts(w)
	for i := range gs {
		if !rowsMatch(strings.Split(gs[i], "\x01"), strings.Split(ws[i], "\x01")) {
			return fmt.Sprintf("rows differ as multisets: e.g. %s where the single server has %s",
				rowText(strings.Split(gs[i], "\x01")), rowText(strings.Split(ws[i], "\x01")))
		}
	}
	return ""
}

// rowsMatch: the same values, a double rounded to 12 digits allowed to
// differ in its last (roundDoubles: a variance summed in another row
// order is 2592750.234375 on one server and 2592750.2343749997 on a
// shard, which round to ...438 and ...437).
func rowsMatch(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !closeDoubles(a[i], b[i]) {
			return false
		}
	}
	return true
}

func closeDoubles(a, b string) bool {
	if !strings.Contains(a+b, "e") {
		return false // not a double's text: a DECIMAL's digits are all exact
	}
	x, errX := strconv.ParseFloat(a, 64)
	y, errY := strconv.ParseFloat(b, 64)
	return errX == nil && errY == nil && math.Abs(x-y) <= 1e-11*math.Max(math.Abs(x), math.Abs(y))
}

// orderKey is the ORDER BY columns of a row, text ones folded (ties under
// the collation may come in any order).
func orderKey(r []string, q *genQuery) string {
	parts := make([]string, len(q.orderCols))
	for i, c := range q.orderCols {
		v := r[c]
		if v != nullText {
			v = fold(v)
		}
		parts[i] = v
	}
	return strings.Join(parts, "\x01")
}

func firstDiff(got, want *result) string {
	gs, ws := sortedTexts(got.rows), sortedTexts(want.rows)
	var extra, missing []string
	i, j := 0, 0
	for i < len(gs) || j < len(ws) {
		switch {
		case j >= len(ws) || (i < len(gs) && gs[i] < ws[j]):
			extra = append(extra, rowText(strings.Split(gs[i], "\x01")))
			i++
		case i >= len(gs) || ws[j] < gs[i]:
			missing = append(missing, rowText(strings.Split(ws[j], "\x01")))
			j++
		default:
			i++
			j++
		}
	}
	var b strings.Builder
	if len(extra) > 0 {
		fmt.Fprintf(&b, "; extra rows (first of %d): %s", len(extra), strings.Join(extra[:min(3, len(extra))], "; "))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "; missing rows (first of %d): %s", len(missing), strings.Join(missing[:min(3, len(missing))], "; "))
	}
	return b.String()
}
