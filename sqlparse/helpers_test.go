package sqlparse

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// tables builds TableRefs from "t" / "db.t" names.
func tables(names ...string) []TableRef {
	out := make([]TableRef, len(names))
	for i, n := range names {
		if schema, name, ok := strings.Cut(n, "."); ok {
			out[i] = TableRef{Schema: schema, Name: name}
		} else {
			out[i] = TableRef{Name: n}
		}
	}
	return out
}

func boolp(b bool) *bool { return &b }

// checkFacts compares got with want on every field except Text and
// Digest, which have their own tests (a want that sets them is checked
// too).
func checkFacts(t *testing.T, sql string, got *Facts, want Facts) {
	t.Helper()
	g := *got
	if want.Text == "" {
		g.Text = ""
	}
	if want.Digest == "" {
		g.Digest = ""
	}
	if want.Prepared == nil {
		g.Prepared = nil // TestPreparedForm checks it
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("%s\n got: %s\nwant: %s", sql, dump(g), dump(want))
	}
}

// dump renders the non-zero fields of f.
func dump(f Facts) string {
	var parts []string
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		if fv := v.Field(i); !fv.IsZero() {
			b, _ := json.Marshal(fv.Interface())
			parts = append(parts, v.Type().Field(i).Name+"="+string(b))
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}
