package session

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/planner"
)

// A server's message about the nth row it got names the client's row;
// where the row is not known, the message says the number is the
// shard's; a message about no row is left alone.
func TestClientRowMessageNamesTheClientsRow(t *testing.T) {
	rowOf := func(n int) (int, bool) { return n * 10, n < 5 }
	for _, c := range []struct{ msg, want string }{
		{"Out of range value for column 'n' at row 2", "Out of range value for column 'n' at row 20"},
		{"Data truncated for column 's' at row 1", "Data truncated for column 's' at row 10"},
		{"Incorrect integer value: 'x' for column `blog`.`t`.`n` at row 3", "Incorrect integer value: 'x' for column `blog`.`t`.`n` at row 30"},
		{"Row 4 doesn't contain data for all columns", "Row 40 doesn't contain data for all columns"},
		{"Row 2 was truncated; it contained more data than there were input columns", "Row 20 was truncated; it contained more data than there were input columns"},
		{"Out of range value for column 'n' at row 7", "Out of range value for column 'n' at row 7 of those sent to the shard"},
		{"Row 9 doesn't contain data for all columns", "Row 9 of those sent to the shard doesn't contain data for all columns"},
		{"Duplicate entry 'row 2' for key 'email'", "Duplicate entry 'row 2' for key 'email'"},
		{"Column 'n' cannot be null", "Column 'n' cannot be null"},
		{"Row 2 in a value the client wrote", "Row 2 in a value the client wrote"},
	} {
		if got := clientRowMessage(c.msg, rowOf); got != c.want {
			t.Errorf("clientRowMessage(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}

// The rows a shard got come back by their place among its rows; the ones
// past the memory bound are not known.
func TestSentRowsGiveTheClientsRow(t *testing.T) {
	var s sentRows
	rows := []int{2, 3, 7, 300, 100000}
	for _, r := range rows {
		s.add(r)
	}
	for i, want := range rows {
		if got, ok := s.clientRow(i + 1); !ok || got != want {
			t.Errorf("clientRow(%d) = %d, %v; want %d", i+1, got, ok, want)
		}
	}
	for _, n := range []int{0, len(rows) + 1} {
		if got, ok := s.clientRow(n); ok {
			t.Errorf("clientRow(%d) = %d, want none", n, got)
		}
	}
	var big sentRows
	for r := 1; !big.full; r++ {
		big.add(r)
	}
	if got, ok := big.clientRow(big.n); !ok || got != big.n {
		t.Errorf("the last row kept: clientRow(%d) = %d, %v", big.n, got, ok)
	}
	if _, ok := big.clientRow(big.n + 1); ok {
		t.Errorf("a row past the bound is known")
	}
}

// A split INSERT's shard numbers its rows as the route's InsertRows; a
// load's as its sent rows; a statement that got every row as the client.
func TestShardConnClientRow(t *testing.T) {
	sent := &sentRows{}
	sent.add(4)
	for _, c := range []struct {
		name string
		sc   *shardConn
		n    int
		want int
		ok   bool
	}{
		{"insert", &shardConn{route: planner.ShardRoute{InsertRows: []int{2, 6}}}, 2, 7, true},
		{"insert, past its rows", &shardConn{route: planner.ShardRoute{InsertRows: []int{2, 6}}}, 3, 0, false},
		{"load", &shardConn{sent: sent}, 1, 4, true},
		{"every row", &shardConn{}, 5, 5, true},
	} {
		if got, ok := c.sc.clientRow(c.n); got != c.want || ok != c.ok {
			t.Errorf("%s: clientRow(%d) = %d, %v; want %d, %v", c.name, c.n, got, ok, c.want, c.ok)
		}
	}
}

// The shards' warnings come back in the order of the client's rows, as
// one server lists them; one that names no row stays after the one
// before it on its shard.
func TestWarningsAreListedByTheClientsRow(t *testing.T) {
	w := func(msg string) diagnostic { return diagnostic{"Warning", 1265, msg} }
	for _, c := range []struct {
		name  string
		lists [][]diagnostic
		want  []string
	}{
		{"two shards", [][]diagnostic{
			{w("Data truncated for column 's' at row 2 (on shard s0)"), w("Row 5 doesn't contain data for all columns (on shard s0)")},
			{w("Data truncated for column 's' at row 1 (on shard s1)"), w("Out of range value for column 'n' at row 3 (on shard s1)")},
		}, []string{"at row 1 (on shard s1)", "at row 2 (on shard s0)", "at row 3 (on shard s1)", "Row 5 doesn't"}},
		{"no rows named: shard order", [][]diagnostic{
			{w("Duplicate entry '1' for key 'PRIMARY' (on shard s0)")},
			{w("Duplicate entry '2' for key 'PRIMARY' (on shard s1)")},
		}, []string{"'1'", "'2'"}},
		{"a duplicate after its shard's row", [][]diagnostic{
			{w("Data truncated for column 's' at row 4 (on shard s0)"), w("Duplicate entry '9' for key 'PRIMARY' (on shard s0)")},
			{w("Data truncated for column 's' at row 6 (on shard s1)")},
		}, []string{"at row 4", "'9'", "at row 6"}},
		{"none", nil, nil},
	} {
		got := byClientRow(c.lists)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d warnings, want %d: %v", c.name, len(got), len(c.want), got)
			continue
		}
		for i, d := range got {
			if !strings.Contains(d.message, c.want[i]) {
				t.Errorf("%s: warning %d is %q, want one with %q", c.name, i, d.message, c.want[i])
			}
		}
	}
}
