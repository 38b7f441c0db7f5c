package session

import (
	"context"
	"errors"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/wire"
)

// answerSelectIntoVars runs SELECT ... INTO @a, @b over placed tables,
// which the SQL parser does not read: the SELECT without its INTO clause
// runs over the shards as any read, and the row it gives is assigned by
// SELECT <its values as literals> INTO @a, @b, run where the session
// keeps its variables. So the server itself keeps its rules: no row
// leaves the variables as they were with warning 1329, a wrong number of
// variables is its 1222. More than one row is MariaDB's 1172, and the
// variables stay as they were. ok is false for any other statement.
func (s *Session) answerSelectIntoVars(ctx context.Context, sql string) (ok bool, err error) {
	inner, vars, split := s.readingMode().SplitIntoVars(sql)
	if !split {
		return false, nil
	}
	f, plan, err := s.planPulled(ctx, inner, pullLevel{})
	switch {
	case errors.Is(err, errNotPulled):
		return false, nil
	case err != nil:
		return true, s.refuseRouting(err)
	}
	cols, rows, more, err := s.collectRows(ctx, f, plan, 1, false)
	if err != nil {
		return true, s.refuseRouting(err)
	}
	if more {
		return true, s.refuse(wire.NewError(mysql.ER_TOO_MANY_ROWS, "Result consisted of more than one row"))
	}
	values := make([]string, len(cols))
	for i := range values {
		values[i] = "NULL"
	}
	where := " FROM DUAL WHERE FALSE" // no row: the server warns, assigns nothing
	if len(rows) == 1 {
		where = ""
		for i, c := range cols {
			if values[i], err = userVarLiteral(c, rows[0][i]); err != nil {
				return true, s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: SELECT ... INTO %s over placed tables: Strata assigns the row it read, and cannot write its value of %s as a literal (%v); select it into the application instead", strings.Join(vars, ", "), c.Name, err))
			}
		}
	}
	assign := "SELECT " + strings.Join(values, ", ") + " INTO " + strings.Join(vars, ", ") + where
	return true, s.Query(ctx, append([]byte{wire.ComQuery}, assign...))
}
