package session

import (
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// errTooDeep answers a statement Strata cannot read because it may nest
// deeper than its parser reads (sqlparse/depth.go): it cannot know where
// such a statement may run, so it runs nowhere.
func errTooDeep() *wire.Error {
	return wire.NewError(wire.ErNotSupportedYet,
		"Strata: this statement nests too deep for Strata to read it (hundreds of thousands of parentheses, or of operators in one chain such as a WHERE of tens of thousands of ORs), so it cannot route it. Write a list of values as IN (...), or split the statement")
}

// nestsTooDeep reports whether one of stmts is too deep to read.
func nestsTooDeep(stmts []*sqlparse.Facts) bool {
	for _, f := range stmts {
		if f.TooDeep {
			return true
		}
	}
	return false
}
