package session

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/wire"
)

// A shard lost in the middle of its RETURNING rows must not be reported
// with the usual "no partial answer was sent": rows went out before it.
func TestCutShortSaysRowsWereSent(t *testing.T) {
	dup := wire.NewError(1062, "Duplicate entry '1' for key 'PRIMARY'")
	lost := io.ErrUnexpectedEOF
	tests := []struct {
		started bool
		err     error
		code    uint16
		says    string
	}{
		{false, lost, 0, ""},  // nothing sent: shardError's own wording
		{true, dup, 1062, ""}, // the server's error keeps its code
		{true, lost, 1429, "the rows sent before this error are not the whole answer"},
	}
	for _, tt := range tests {
		got := cutShort(&returnedRows{started: tt.started}, tt.err)
		var werr *wire.Error
		switch {
		case tt.code == 0:
			if got != tt.err {
				t.Errorf("started %v, %v: %v, want it unchanged", tt.started, tt.err, got)
			}
		case !errors.As(got, &werr) || werr.Code != tt.code || !strings.Contains(werr.Message, tt.says):
			t.Errorf("started %v, %v: %v, want code %d saying %q", tt.started, tt.err, got, tt.code, tt.says)
		}
	}
}

// The rows of a multi-row INSERT over shards go back in VALUES order
// only when the plan says which rows each route inserts.
func TestValuesOrder(t *testing.T) {
	two := []planner.ShardRoute{{InsertRows: []int{1}}, {InsertRows: []int{0, 2}}}
	tests := []struct {
		plan planner.ShardPlan
		want bool
	}{
		{planner.ShardPlan{Routes: two}, true},
		{planner.ShardPlan{Routes: two[:1]}, false},                      // one route: streamed as it comes
		{planner.ShardPlan{Routes: two, Copies: true}, false},            // a reference table's copies
		{planner.ShardPlan{Routes: []planner.ShardRoute{{}, {}}}, false}, // a DELETE over shards
	}
	for i, tt := range tests {
		if got := valuesOrder(&tt.plan); got != tt.want {
			t.Errorf("case %d: %v, want %v", i, got, tt.want)
		}
	}
}
