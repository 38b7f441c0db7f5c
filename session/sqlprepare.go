package session

import (
	"context"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// SQL-level prepared statements (PREPARE name FROM ..., EXECUTE name
// USING ..., DEALLOCATE PREPARE name) of statements over placed tables
// are kept by Strata: a server would prepare the text against its own
// tables, and the default cluster has none of the placed ones (1146).
// EXECUTE writes the USING values into the text and runs it as a query,
// so it is routed, merged and refused as the same text sent by the
// client would be. Statements over the default cluster's tables are
// prepared on the server, as before.

// answerSQLPrepare runs a PREPARE, EXECUTE or DEALLOCATE PREPARE of a
// statement Strata keeps; ok is false for the rest, which the server
// runs.
func (s *Session) answerSQLPrepare(ctx context.Context, sql string, f *sqlparse.Facts) (ok bool, err error) {
	if s.env.Sharding == nil || s.env.Sharding.Layout().Empty() {
		return false, nil
	}
	p, parsed := s.readingMode().ParseSQLPrepare(sql)
	if !parsed {
		return false, nil
	}
	switch p.Verb {
	case "PREPARE":
		return s.sqlPrepare(ctx, p, f)
	case "IMMEDIATE":
		return s.sqlImmediate(ctx, p, sql)
	case "EXECUTE":
		text, kept := s.sqlStmts[p.Name]
		if !kept {
			return false, nil
		}
		return true, s.sqlExecute(ctx, p, text)
	}
	if _, kept := s.sqlStmts[p.Name]; !kept {
		return false, nil
	}
	delete(s.sqlStmts, p.Name)
	return true, s.writeOK(f, 0, 0, 0, "")
}

// sqlPrepare keeps the statement when its text names a placed table. A
// name prepared again for the server's tables is no longer Strata's.
func (s *Session) sqlPrepare(ctx context.Context, p *sqlparse.SQLPrepare, f *sqlparse.Facts) (bool, error) {
	text := f.PrepareSQL
	if p.FromVar != "" {
		value, isSet, err := s.userVarText(ctx, p.FromVar)
		if err != nil {
			return true, s.refuse(errUserVars(err))
		}
		if !isSet {
			delete(s.sqlStmts, p.Name)
			return false, nil // NULL: the server says what it says of it
		}
		text = value
	}
	parsed := s.parse(text)
	// A text no statement form reads (SELEC ...) is the server's to
	// answer: it reports the syntax error at PREPARE, before any table.
	garbled := parsed.Summary.Fallback && parsed.Summary.Kind == sqlparse.KindOther
	if len(parsed.Statements) != 1 || garbled || !s.placed(parsed.Summary) {
		delete(s.sqlStmts, p.Name)
		return false, nil
	}
	if _, again := s.sqlStmts[p.Name]; !again {
		if max := s.env.Limits().MaxPreparedStmts; max > 0 && len(s.sqlStmts) >= max {
			// As for COM_STMT_PREPARE: a session that prepares names
			// without deallocating them must not grow Strata without end.
			return true, s.refuse(wire.NewError(wire.ErMaxPreparedStmts,
				"Can't create more than max_prepared_stmt_count statements (current value: %d): Strata's limits.max_prepared_statements bounds each session; DEALLOCATE PREPARE the statements the application no longer uses", max))
		}
	}
	if s.sqlStmts == nil {
		s.sqlStmts = map[string]string{}
	}
	s.sqlStmts[p.Name] = text
	return true, s.writeOK(f, 0, 0, 0, "")
}

// sqlImmediate runs an EXECUTE IMMEDIATE whose text names a placed table
// as an EXECUTE of a kept statement: its USING values written in, as a
// query. Any other text, or one that cannot be computed, is the server's.
func (s *Session) sqlImmediate(ctx context.Context, p *sqlparse.SQLPrepare, sql string) (bool, error) {
	pt, ok := s.readingMode().PreparedText(sql)
	if !ok {
		return false, nil
	}
	text := pt.Text
	if pt.Expr != "" {
		value, isSet := s.computeText(ctx, pt.Expr)
		if !isSet {
			return false, nil
		}
		text = value
	}
	parsed := s.parse(text)
	garbled := parsed.Summary.Fallback && parsed.Summary.Kind == sqlparse.KindOther
	if len(parsed.Statements) != 1 || garbled || !s.placed(parsed.Summary) {
		return false, nil
	}
	return true, s.sqlExecute(ctx, p, text)
}

// computeText is the value of expr, the text of an EXECUTE IMMEDIATE, as
// the server would compute it: where the session keeps its variables, or
// on its default cluster's primary. isSet is false for NULL and for an
// expression the server cannot compute (it then says why itself).
func (s *Session) computeText(ctx context.Context, expr string) (value string, isSet bool) {
	if sqlparse.IsUserVar(expr) {
		value, isSet, err := s.userVarText(ctx, expr)
		return value, isSet && err == nil
	}
	c := s.pinned
	if c == nil {
		var err error
		if c, _, err = s.connectPrimary(ctx, s.clusterFor("")); err != nil {
			return "", false
		}
		defer s.put(c)
	}
	_, row, err := queryRow(ctx, c, "SELECT "+expr)
	if err != nil || len(row) != 1 || row[0] == nil {
		return "", false
	}
	return string(row[0]), true
}

// sqlExecute runs a kept statement with its USING values written in.
func (s *Session) sqlExecute(ctx context.Context, p *sqlparse.SQLPrepare, text string) error {
	args, err := s.usingValues(ctx, p.Using)
	if err != nil {
		return s.refuse(err)
	}
	bound, n := s.readingMode().BindPlaceholders(text, args)
	if n != len(args) {
		return s.refuse(wire.NewError(mysql.ER_WRONG_ARGUMENTS, "Incorrect arguments to EXECUTE"))
	}
	return s.Query(ctx, append([]byte{wire.ComQuery}, bound...))
}

// usingValues are EXECUTE's USING items as SQL literals: user variables
// and expressions evaluated where the session keeps its variables, or,
// when it has set none, literals as written and variables as NULL.
func (s *Session) usingValues(ctx context.Context, items []string) ([]string, *wire.Error) {
	if len(items) == 0 {
		return nil, nil
	}
	if s.pinned != nil && s.holds["user variables"] {
		out, err := valuesAsLiterals(ctx, s.pinned, items)
		if err != nil {
			return nil, errUserVars(err)
		}
		return out, nil
	}
	out := make([]string, len(items))
	for i, item := range items {
		switch {
		case sqlparse.IsUserVar(item):
			out[i] = "NULL" // never set in this session
		case sqlparse.IsLiteral(item):
			out[i] = item
		default:
			return nil, wire.NewError(wire.ErNotSupportedYet, "Strata: EXECUTE ... USING %s: Strata runs this prepared statement over placed tables itself and takes USING values from user variables or literals only; set a variable to the expression first (SET @v = ...)", item)
		}
	}
	return out, nil
}

// userVarText reads a user variable's value as text; isSet is false
// when it is NULL or the session has set no variables.
func (s *Session) userVarText(ctx context.Context, name string) (value string, isSet bool, err error) {
	if s.pinned == nil || !s.holds["user variables"] {
		return "", false, nil
	}
	_, row, err := queryRow(ctx, s.pinned, "SELECT "+name)
	if err != nil || len(row) != 1 || row[0] == nil {
		return "", false, err
	}
	return string(row[0]), true, nil
}
