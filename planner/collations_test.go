package planner

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/sqlparse"
)

// A merge compares a text column by the collation of the table column it
// comes from, which the server does not report; columns it cannot place
// keep the reported one.
func TestWithColumnCollations(t *testing.T) {
	s := NewSharding(nil)
	text := func(schema, table, column string) engine.Column {
		return engine.Column{Name: column, Type: engine.TypeVarString, Charset: 45, Schema: schema, OrgTable: table, OrgName: column}
	}
	cols := []engine.Column{
		text("blog", "Words", "U"),  // known, names in any case
		text("blog", "words", "g"),  // a column not read
		text("other", "words", "u"), // another schema
		{Name: "n", Type: engine.TypeLongLong, Charset: engine.CharsetBinary, Schema: "blog", OrgTable: "words", OrgName: "u"},
		{Name: "CONCAT(u)", Type: engine.TypeVarString, Charset: 45}, // an expression
	}
	if got := s.WithColumnCollations(cols, nil); &got[0] != &cols[0] {
		t.Error("without collations read, the columns are not the reported ones")
	}
	s.SetColumnCollations("Blog", map[string]string{"words.u": "utf8mb4_unicode_ci"})
	got := s.WithColumnCollations(cols, nil)
	want := []string{"utf8mb4_unicode_ci", "", "", "", ""}
	for i, c := range got {
		if c.Collation != want[i] {
			t.Errorf("column %d (%s): collation %q, want %q", i, c.Name, c.Collation, want[i])
		}
	}
	if cols[0].Collation != "" {
		t.Error("the reported columns were changed")
	}
	if c := s.ColumnCollation("WORDS", "u"); c != "utf8mb4_unicode_ci" {
		t.Errorf("ColumnCollation = %q", c)
	}
}

// An expression column takes its collation from an explicit COLLATE or
// from the columns a collation-keeping function passes on; one Strata
// cannot tell is marked, so a merge that compares it refuses.
func TestExpressionCollations(t *testing.T) {
	s := NewSharding(nil)
	s.SetColumnCollations("blog", map[string]string{"t.b": "utf8mb4_bin", "t.g": "utf8mb4_general_ci", "t.l": "latin1_swedish_ci"})
	ref := func(cols ...string) []sqlparse.ColumnRef {
		var out []sqlparse.ColumnRef
		for _, c := range cols {
			out = append(out, sqlparse.ColumnRef{Tables: []string{"t"}, Column: c})
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		src           sqlparse.TextSource
		want, unknown string // the collation, or a word of why it is unknown
	}{
		{"explicit", sqlparse.TextSource{Collate: "utf8mb4_unicode_ci", Columns: ref("b")}, "utf8mb4_unicode_ci", ""},
		{"kept", sqlparse.TextSource{Columns: ref("b")}, "utf8mb4_bin", ""},
		{"kept, as reported", sqlparse.TextSource{Columns: ref("g")}, "utf8mb4_general_ci", ""},
		{"opaque, as reported", sqlparse.TextSource{Columns: ref("g"), Opaque: true}, "", ""},
		{"opaque", sqlparse.TextSource{Columns: ref("b"), Opaque: true}, "", "utf8mb4_bin"},
		{"binary wins", sqlparse.TextSource{Columns: ref("g", "b")}, "utf8mb4_bin", ""},
		{"two character sets", sqlparse.TextSource{Columns: ref("l", "g")}, "", "latin1_swedish_ci, utf8mb4_general_ci"},
		{"not a column Strata knows", sqlparse.TextSource{Columns: ref("nosuch"), Opaque: true}, "", ""},
	} {
		col := engine.Column{Name: "x", Type: engine.TypeVarString, Charset: 45}
		got := s.WithColumnCollations([]engine.Column{col}, []*sqlparse.TextSource{&tc.src})[0]
		if got.Collation != tc.want || (tc.unknown == "") != (got.CollationUnknown == "") || !strings.Contains(got.CollationUnknown, tc.unknown) {
			t.Errorf("%s: collation %q, unknown %q; want %q, unknown naming %q", tc.name, got.Collation, got.CollationUnknown, tc.want, tc.unknown)
		}
	}
}
