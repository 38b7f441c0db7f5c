package session

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/engine"
)

// The default cluster's listing keeps its rows; placed tables it lacks are
// added (BASE TABLE in a FULL listing), once, in name order.
func TestWithPlacedTables(t *testing.T) {
	rows := func(s string) []engine.Row {
		var out []engine.Row
		for _, r := range strings.Split(s, ";") {
			if r == "" {
				continue
			}
			var row engine.Row
			for _, v := range strings.Split(r, "|") {
				row = append(row, []byte(v))
			}
			out = append(out, row)
		}
		return out
	}
	text := func(rs []engine.Row) string {
		var parts []string
		for _, r := range rs {
			var vs []string
			for _, v := range r {
				vs = append(vs, string(v))
			}
			parts = append(parts, strings.Join(vs, "|"))
		}
		return strings.Join(parts, ";")
	}
	cases := []struct {
		listed  string
		placed  []string
		columns int
		want    string
	}{
		{"order_customer", []string{"users", "comments"}, 1, "comments;order_customer;users"},
		{"Comments|BASE TABLE;v|VIEW", []string{"comments", "entries"}, 2, "Comments|BASE TABLE;entries|BASE TABLE;v|VIEW"},
		{"", []string{"b", "a"}, 1, "a;b"},
	}
	for _, c := range cases {
		if got := text(withPlacedTables(rows(c.listed), c.placed, c.columns)); got != c.want {
			t.Errorf("%q + %v = %q, want %q", c.listed, c.placed, got, c.want)
		}
	}
}
