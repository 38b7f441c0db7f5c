package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// systemSchemas never hold the application's placed tables.
var systemSchemas = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}

// answerShowTables answers SHOW [FULL] TABLES [FROM db] [LIKE 'p'] with
// the default cluster's tables and, besides them, the tables `tables:`
// places on other clusters (table groups, sharded and reference tables),
// as one server holding them all would list them: tools list tables
// before they read them (mariadb-dump: "Couldn't find table"). ok is
// false when there is nothing to add (no sharding, a system schema).
func (s *Session) answerShowTables(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	st := f.ShowTables
	if st == nil || s.env.Sharding == nil {
		return false, nil
	}
	layout := s.env.Sharding.Layout()
	db := st.DB
	if db == "" {
		db = s.DB
	}
	if layout.Empty() || db == "" || systemSchemas[strings.ToLower(db)] {
		return false, nil
	}
	var placed []string
	for _, t := range layout.Tables() {
		if !st.Like || sqlparse.LikeMatches(st.Pattern, t.Name) {
			placed = append(placed, t.Name)
		}
	}
	if st.Status {
		return true, s.answerFromDefault(ctx, f, sql, func(cols []engine.Column, listed []engine.Row) ([]engine.Row, error) {
			return s.withPlacedTableStatus(ctx, db, placed, cols, listed)
		})
	}
	return true, s.answerFromDefault(ctx, f, sql, func(cols []engine.Column, listed []engine.Row) ([]engine.Row, error) {
		return withPlacedTables(listed, placed, len(cols)), nil
	})
}

// answerFromDefault runs sql, a SHOW, on the default cluster, reads its
// rows and answers with what complete makes of them. The server's own
// error (an unknown database) is the answer as the server says it, and so
// is an error complete returns.
func (s *Session) answerFromDefault(ctx context.Context, f *sqlparse.Facts, sql string, complete func([]engine.Column, []engine.Row) ([]engine.Row, error)) error {
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
		out, err := complete(rows.Columns(), listed)
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
	refs := make([]sqlparse.TableRef, len(f.MetadataOf))
	for i, name := range f.MetadataOf {
		if rank, ok := strings.CutPrefix(name, "?"); ok {
			n, err := strconv.Atoi(rank)
			if err != nil || n < 1 || n > len(args) {
				return ""
			}
			if name, ok = literalText(args[n-1]); !ok {
				return ""
			}
			name = strings.ToLower(name)
		}
		refs[i] = sqlparse.TableRef{Name: name}
	}
	return s.env.Sharding.MetadataCluster(&sqlparse.Facts{Tables: refs})
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
