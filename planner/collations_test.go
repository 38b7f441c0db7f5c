package planner

import (
	"testing"

	"github.com/strata-proxy/strata/engine"
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
	if got := s.WithColumnCollations(cols); &got[0] != &cols[0] {
		t.Error("without collations read, the columns are not the reported ones")
	}
	s.SetColumnCollations("Blog", map[string]string{"words.u": "utf8mb4_unicode_ci"})
	got := s.WithColumnCollations(cols)
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
