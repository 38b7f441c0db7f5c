package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/strata-proxy/strata/infile"
)

// LoadData is what Strata needs of a LOAD DATA statement to split its
// file between shards: where the file comes from, how its rows and fields
// are written, and which column each field fills.
type LoadData struct {
	Local   bool     // LOAD DATA LOCAL: the client sends the file
	Path    string   // the file's name, as the client is asked for it
	Columns []string // the column list, lower-cased, user variables as "@name"; nil when the statement has none
	// SetColumns: the columns the SET clause assigns, lower-cased.
	SetColumns []string
	// SetFromVar: for each of SetColumns assigned a user variable alone
	// (SET id = @id), that variable as "@name"; "" for any other
	// expression.
	SetFromVar []string
	// SetClock: for each of SetColumns assigned an expression of the
	// clock and constants alone (SET at = NOW(), CURRENT_TIMESTAMP -
	// INTERVAL 1 DAY), its text, which has one value for the whole
	// statement; "" for any other expression.
	SetClock    []string
	Format      infile.Format
	IgnoreLines uint64
	Charset     string // CHARACTER SET of the file, lower-cased; "" when not given
	// Ignore and Replace: LOAD DATA ... IGNORE or REPLACE INTO, which skip
	// or replace a row a unique key refuses instead of failing.
	Ignore, Replace bool
	// Unsupported says why the statement's options cannot be read as
	// MariaDB would (an option of another dialect); "" when they can.
	Unsupported string
}

func loadDataOf(st *ast.LoadDataStmt) *LoadData {
	l := &LoadData{Local: st.FileLocRef == ast.FileLocClient, Path: st.Path, Format: infile.Default()}
	if st.IgnoreLines != nil {
		l.IgnoreLines = *st.IgnoreLines
	}
	l.Ignore = st.OnDuplicate == ast.OnDuplicateKeyHandlingIgnore
	l.Replace = st.OnDuplicate == ast.OnDuplicateKeyHandlingReplace
	if st.Charset != nil {
		l.Charset = strings.ToLower(*st.Charset)
	}
	if st.Format != nil || len(st.Options) > 0 {
		l.Unsupported = "FORMAT and WITH options are not MariaDB syntax"
	}
	if fi := st.FieldsInfo; fi != nil {
		if fi.Terminated != nil {
			l.Format.FieldTerm = *fi.Terminated
		}
		if fi.Enclosed != nil {
			l.Format.Enclosed = firstByte(*fi.Enclosed)
		}
		if fi.Escaped != nil {
			l.Format.Escape = firstByte(*fi.Escaped)
		}
		if fi.DefinedNullBy != nil {
			l.Unsupported = "DEFINED NULL BY is not MariaDB syntax"
		}
	}
	if li := st.LinesInfo; li != nil {
		if li.Starting != nil {
			l.Format.LineStart = *li.Starting
		}
		if li.Terminated != nil {
			l.Format.LineTerm = *li.Terminated
		}
	}
	for _, c := range st.ColumnsAndUserVars {
		if c.UserVar != nil {
			l.Columns = append(l.Columns, "@"+strings.ToLower(c.UserVar.Name))
		} else {
			l.Columns = append(l.Columns, c.ColumnName.Name.L)
		}
	}
	for _, a := range st.ColumnAssignments {
		l.SetColumns = append(l.SetColumns, a.Column.Name.L)
		from := ""
		if v, ok := a.Expr.(*ast.VariableExpr); ok && !v.IsSystem && v.Value == nil {
			from = "@" + strings.ToLower(v.Name)
		}
		l.SetFromVar = append(l.SetFromVar, from)
		clock := ""
		if clockConstant(a.Expr) {
			if text, err := (Mode{}).restore(a.Expr); err == nil {
				clock = text
			}
		}
		l.SetClock = append(l.SetClock, clock)
	}
	return l
}

// firstByte is the one byte of an ENCLOSED BY or ESCAPED BY string, 0 for
// the empty string (none).
func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}
