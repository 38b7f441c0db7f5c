package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// systemSchemas never hold the application's placed tables.
var systemSchemas = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}

// answerShowTables answers SHOW [FULL] TABLES [FROM db] [LIKE 'p' | WHERE
// cond] (and SHOW TABLE STATUS) with
// the default cluster's tables and, besides them, the tables `tables:`
// places on other clusters (table groups, sharded and reference tables),
// as one server holding them all would list them: tools list tables
// before they read them (mariadb-dump: "Couldn't find table"). ok is
// false when there is nothing to add (no sharding, a system schema).
func (s *Session) answerShowTables(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	st := f.ShowTables
	db, ok := s.listedSchema(st)
	if !ok {
		return false, nil
	}
	layout := s.env.Sharding.Layout()
	var placed []string
	for _, t := range layout.Tables() {
		if !st.Like || sqlparse.LikeMatches(st.Pattern, t.Name) {
			placed = append(placed, t.Name)
		}
	}
	if st.Where != "" {
		// The condition is for the whole list: it may compare a sharded
		// table's summed figures, so it filters the completed rows.
		sql = showEveryTable(st, db)
	}
	return true, s.answerFromDefault(ctx, f, sql, func(c *backend.Conn, cols []engine.Column, listed []engine.Row) ([]engine.Row, error) {
		var out []engine.Row
		var err error
		if st.Status {
			out, err = s.withPlacedTableStatus(ctx, db, placed, cols, listed)
		} else {
			out = withPlacedTables(listed, placed, len(cols))
		}
		if err != nil || st.Where == "" {
			return out, err
		}
		return filterShownRows(ctx, c, cols, out, st.Where)
	})
}

// listedSchema is the schema a SHOW TABLES or SHOW TRIGGERS (st) lists:
// the one it names, else the session's. ok is false when Strata has
// nothing to add to the default cluster's listing: no such statement, no
// placed tables, or a system schema.
func (s *Session) listedSchema(st *sqlparse.ShowTables) (db string, ok bool) {
	if st == nil || s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return "", false
	}
	db = st.DB
	if db == "" {
		db = s.DB
	}
	return db, db != "" && !systemSchemas[strings.ToLower(db)]
}

// showEveryTable is SHOW [FULL] TABLES or SHOW TABLE STATUS of db without
// a condition.
func showEveryTable(st *sqlparse.ShowTables, db string) string {
	switch {
	case st.Status:
		return "SHOW TABLE STATUS FROM " + sqlparse.QuoteIdentifier(db)
	case st.Full:
		return "SHOW FULL TABLES FROM " + sqlparse.QuoteIdentifier(db)
	}
	return "SHOW TABLES FROM " + sqlparse.QuoteIdentifier(db)
}

// filterShownRows keeps the rows of a SHOW listing that where, a SHOW
// ... WHERE condition over its columns, holds for. The server evaluates
// it, over the rows written as a derived table with the listing's column
// names, so the condition means what it means in the client's SHOW.
func filterShownRows(ctx context.Context, c *backend.Conn, cols []engine.Column, rows []engine.Row, where string) ([]engine.Row, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	var b strings.Builder
	b.WriteString("SELECT strata_row FROM (")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT ")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(" AS strata_row")
		for j, col := range cols {
			lit, err := pulledLiteral(col, r[j])
			if err != nil {
				return nil, fmt.Errorf("filtering SHOW by its WHERE: column %s: %w", col.Name, err)
			}
			b.WriteString(", ")
			b.WriteString(lit)
			b.WriteString(" AS ")
			b.WriteString(sqlparse.QuoteIdentifier(col.Name))
		}
	}
	b.WriteString(") AS strata_show WHERE ")
	b.WriteString(where)
	res, err := c.QueryRows(ctx, b.String())
	if err != nil {
		return nil, err
	}
	kept, err := readAll(ctx, res)
	if err != nil {
		return nil, err
	}
	out := make([]engine.Row, 0, len(kept))
	for _, k := range kept {
		i, err := strconv.Atoi(string(k[0]))
		if err != nil || i < 0 || i >= len(rows) {
			return nil, fmt.Errorf("filtering SHOW by its WHERE: row %q", k[0])
		}
		out = append(out, rows[i])
	}
	return out, nil
}

// answerFromDefault runs sql, a SHOW, on the default cluster, reads its
// rows and answers with what complete makes of them. The server's own
// error (an unknown database) is the answer as the server says it, and so
// is an error complete returns.
func (s *Session) answerFromDefault(ctx context.Context, f *sqlparse.Facts, sql string, complete func(*backend.Conn, []engine.Column, []engine.Row) ([]engine.Row, error)) error {
	return s.run(ctx, command{facts: f}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		rows, err := c.QueryRows(ctx, sql)
		var werr *wire.Error
		switch {
		case errors.As(err, &werr):
			return s.relayError(werr)
		case err != nil:
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		listed, err := readAll(ctx, rows)
		if err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		out, err := complete(c, rows.Columns(), listed)
		if errors.As(err, &werr) {
			return s.relayError(werr)
		}
		if err != nil {
			return s.relayError(wire.NewError(wire.ErUnknownError, "Strata: %v", err))
		}
		if err := s.sendRows(ctx, rows.Columns(), rows.ColumnPackets(), engine.NewSliceStream(out...), false); err != nil {
			return backend.Result{}, &backend.ClientError{Err: err}
		}
		return backend.Result{Sent: true, Status: s.Status()}, nil
	})
}

// metadataCluster is where a read of information_schema about placed
// tables runs (Facts.MetadataOf): a cluster that holds them, as SHOW
// CREATE TABLE of one does, not the default cluster that lacks them. ""
// for any other statement. args are a prepared statement's bound values,
// as SQL literals: a table named by a placeholder ("?N") is the value
// bound to it; one that is not text leaves the read on the default
// cluster.
func (s *Session) metadataCluster(f *sqlparse.Facts, args []string) string {
	if f.MetadataOf == nil || s.env.Sharding == nil {
		return ""
	}
	refs, ok := metadataTables(f, args)
	if !ok {
		return ""
	}
	return s.env.Sharding.MetadataCluster(&sqlparse.Facts{Tables: refs})
}

// metadataTables are the tables a lookup in information_schema names
// (Facts.MetadataOf), a placeholder's by its bound value (args, SQL
// literals); ok is false when a bound value is not text.
func metadataTables(f *sqlparse.Facts, args []string) ([]sqlparse.TableRef, bool) {
	refs := make([]sqlparse.TableRef, len(f.MetadataOf))
	for i, name := range f.MetadataOf {
		if rank, ok := strings.CutPrefix(name, "?"); ok {
			n, err := strconv.Atoi(rank)
			if err != nil || n < 1 || n > len(args) {
				return nil, false
			}
			if name, ok = literalText(args[n-1]); !ok {
				return nil, false
			}
			name = strings.ToLower(name)
		}
		refs[i] = sqlparse.TableRef{Name: name}
	}
	return refs, true
}

// foldsTableFigures reports whether f, a lookup in information_schema of
// the tables it names (Facts.MetadataOf), reads the TABLES view about a
// sharded table: its rows and sizes are then the sums over its shards,
// as a listing of the schema shows them (answerTableListing), not one
// shard's (information_schema.TABLES WHERE table_name = 'comments', as
// tools ask for a table's row estimate).
func (s *Session) foldsTableFigures(f *sqlparse.Facts, args []string) bool {
	if f.MetadataOf == nil || s.env.Sharding == nil {
		return false
	}
	if !slices.ContainsFunc(f.Tables, func(t sqlparse.TableRef) bool {
		return strings.EqualFold(t.Schema, "information_schema") && strings.EqualFold(t.Name, "tables")
	}) {
		return false
	}
	refs, ok := metadataTables(f, args)
	if !ok {
		return false
	}
	layout := s.env.Sharding.Layout()
	return slices.ContainsFunc(refs, func(r sqlparse.TableRef) bool {
		t := layout.Table(r.Name)
		return t != nil && t.Placement == shard.PlaceSharded
	})
}

// literalText is the text of a string literal as quoteLiteral writes
// bound values: 'text' (quotes doubled) or X'hex'.
func literalText(lit string) (string, bool) {
	switch {
	case len(lit) >= 2 && lit[0] == '\'' && lit[len(lit)-1] == '\'':
		return strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"), true
	case len(lit) >= 3 && (lit[0] == 'X' || lit[0] == 'x') && lit[1] == '\'' && lit[len(lit)-1] == '\'':
		b, err := hex.DecodeString(lit[2 : len(lit)-1])
		return string(b), err == nil
	}
	return "", false
}

// readAll reads every row of a result and closes it.
func readAll(ctx context.Context, rows *backend.Rows) ([]engine.Row, error) {
	var out []engine.Row
	for {
		r, err := rows.Next(ctx)
		if err == io.EOF {
			return out, rows.Close()
		}
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
}

// withPlacedTables adds to a SHOW TABLES listing the placed tables it
// lacks (a FULL listing's second column says BASE TABLE), sorted by name.
func withPlacedTables(listed []engine.Row, placed []string, columns int) []engine.Row {
	have := map[string]bool{}
	for _, r := range listed {
		have[strings.ToLower(string(r[0]))] = true
	}
	for _, name := range placed {
		if have[strings.ToLower(name)] {
			continue
		}
		row := engine.Row{[]byte(name)}
		if columns > 1 {
			row = append(row, []byte("BASE TABLE"))
		}
		for len(row) < columns {
			row = append(row, nil)
		}
		listed = append(listed, row[:columns])
	}
	slices.SortStableFunc(listed, func(a, b engine.Row) int { return bytes.Compare(a[0], b[0]) })
	return listed
}
