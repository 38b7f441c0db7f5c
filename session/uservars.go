package session

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// withUserVarValues writes into sql, a statement over placed tables, the
// values of the user variables it reads. They live on the connection
// that holds the session's state (SET @x = 1500 ran there, on its
// cluster), which the statement's shards are not: read from there, each
// becomes a literal of its type, so that `WHERE id = @x` routes by the
// value as `WHERE id = 1500` does. ok is false when the session holds no
// user variables there (every one the statement reads is then NULL on
// any connection, as on a server that never set them).
func (s *Session) withUserVarValues(ctx context.Context, sql string) (text string, ok bool, err error) {
	if s.pinned == nil || !s.holds["user variables"] {
		return sql, false, nil
	}
	spans := s.readingMode().UserVars(sql)
	if len(spans) == 0 {
		return sql, false, nil
	}
	var names []string
	index := map[string]int{}
	for _, sp := range spans {
		name := sql[sp.Start:sp.End]
		if _, seen := index[name]; !seen {
			index[name] = len(names)
			names = append(names, name)
		}
	}
	literals, err := valuesAsLiterals(ctx, s.pinned, names)
	if err != nil {
		return "", false, err
	}
	rs := make([]sqlparse.Replacement, len(spans))
	for i, sp := range spans {
		rs[i] = sqlparse.Replacement{Start: sp.Start, End: sp.End, Text: literals[index[sql[sp.Start:sp.End]]]}
	}
	// The fields keep their names: SELECT @v + n names its column "@v + n".
	return s.readingMode().Replace(sql, sql, rs), true, nil
}

// valuesAsLiterals evaluates expressions (user variables, USING items)
// on c, where the session keeps its variables, and writes each value as
// a literal of its type (userVarLiteral).
func valuesAsLiterals(ctx context.Context, c *backend.Conn, exprs []string) ([]string, error) {
	cols, row, err := queryRow(ctx, c, "SELECT "+strings.Join(exprs, ", "))
	if err != nil {
		return nil, err
	}
	if len(row) != len(exprs) {
		return nil, fmt.Errorf("reading %s gave %d values", strings.Join(exprs, ", "), len(row))
	}
	literals := make([]string, len(exprs))
	for i, col := range cols {
		if literals[i], err = userVarLiteral(col, row[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", exprs[i], err)
		}
	}
	return literals, nil
}

// queryRow runs a statement that answers one row on c (SELECT @@x,
// SELECT @a, @b) and returns its columns and the row.
func queryRow(ctx context.Context, c *backend.Conn, sql string) ([]engine.Column, engine.Row, error) {
	rows, err := c.QueryRows(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	got, err := readAll(ctx, rows)
	switch {
	case err != nil:
		return nil, nil, err
	case len(got) != 1:
		return nil, nil, fmt.Errorf("%s gave %d rows", sql, len(got))
	}
	return rows.Columns(), got[0], nil
}

// userVarLiteral writes a user variable's value, as SELECT @x returned
// it with its column definition, as SQL of the same type: numbers as
// numbers (a DOUBLE with an exponent), text in quotes, binary text cast
// to BINARY, other types as engine.Literal casts them. One difference
// stays: a quoted string gives way to a column's collation, where a
// variable of another collation than the column's makes one server
// refuse the comparison (1267).
func userVarLiteral(c engine.Column, v engine.Value) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	switch c.Type {
	case engine.TypeTiny, engine.TypeShort, engine.TypeLong, engine.TypeLongLong, engine.TypeInt24, engine.TypeNewDecimal, engine.TypeDecimal:
		if engine.NumberText(v) {
			return string(v), nil
		}
	case engine.TypeFloat, engine.TypeDouble:
		if engine.NumberText(v) {
			if strings.ContainsAny(string(v), "eE") {
				return string(v), nil
			}
			return string(v) + "e0", nil
		}
	case engine.TypeVarString, engine.TypeString, engine.TypeVarChar, engine.TypeBlob, engine.TypeMediumBlob, engine.TypeLongBlob, engine.TypeTinyBlob:
		if c.Charset == engine.CharsetBinary {
			// Cast, not a bare hex literal: like the variable, it makes
			// a comparison with a text column binary.
			return "CAST(X'" + hex.EncodeToString(v) + "' AS BINARY)", nil
		}
		return quoteLiteral(v), nil
	}
	return engine.Literal(c, v)
}

// errUserVars refuses a statement whose user variables could not be read.
func errUserVars(err error) *wire.Error {
	return wire.NewError(wire.ErNotSupportedYet, "Strata: this statement reads user variables that live on this session's state connection, and reading their values there failed (%v); write the values into the statement", rootCause(err))
}

// carryUserVars copies the user variables the session keeps on its
// pinned connection onto c, a connection of another cluster that is
// about to run a write (or a call of a stored function) of the current
// statement: a trigger or function there reads the session's variables,
// as on one server (an audit trigger's SET NEW.changed_by = @app_user).
// Before, it read NULL on the shard. The variables are read once per
// statement; c is reset before another session takes it. A variable a
// trigger assigns there stays there (documented).
func (s *Session) carryUserVars(ctx context.Context, c *backend.Conn) error {
	if !s.varsTravel || s.pinned == nil || c == s.pinned || !s.holds["user variables"] {
		return nil
	}
	if !s.varsRead {
		set, err := userVarsSET(ctx, s.pinned)
		var werr *wire.Error
		switch {
		case errors.As(err, &werr):
			// A server without information_schema.USER_VARIABLES (a
			// MySQL): the write runs as before, without them.
			set = ""
		case err != nil:
			return fmt.Errorf("reading the session's user variables on %s: %w", s.pinned.Addr, err)
		}
		s.varsSET, s.varsRead = set, true
	}
	if s.varsSET == "" {
		return nil // none set
	}
	c.NeedsReset = true
	if _, err := c.Exec(ctx, s.varsSET); err != nil {
		return fmt.Errorf("copying the session's user variables to %s: %w", c.Addr, err)
	}
	return nil
}

// userVarsSET is a SET of every user variable set on c to its value, as
// a literal of its type; "" when c has none.
func userVarsSET(ctx context.Context, c *backend.Conn) (string, error) {
	rows, err := c.QueryRows(ctx, "SELECT VARIABLE_NAME FROM information_schema.USER_VARIABLES")
	if err != nil {
		return "", err
	}
	names, err := readAll(ctx, rows)
	if err != nil {
		return "", err
	}
	if len(names) == 0 {
		return "", nil
	}
	vars := make([]string, len(names))
	for i, n := range names {
		vars[i] = "@`" + strings.ReplaceAll(string(n[0]), "`", "``") + "`"
	}
	literals, err := valuesAsLiterals(ctx, c, vars)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("SET ")
	for i, v := range vars {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v + " = " + literals[i])
	}
	return b.String(), nil
}
