package planner

import (
	"testing"

	"github.com/strata-proxy/strata/engine"
)

// AVG(x) is described from the shards' SUM(x) column as a server
// describes it: x's precision plus 4 digits, 4 more decimals.
func TestAvgOfSumDescribesAsAServer(t *testing.T) {
	sum := func(length uint32, decimals byte, flags uint16) engine.Column {
		return engine.Column{Name: "AVG(x)", Type: engine.TypeNewDecimal, Flags: flags | engine.FlagNum, Charset: engine.CharsetBinary, Length: length, Decimals: decimals}
	}
	tests := []struct {
		name     string
		sum      engine.Column
		length   uint32
		decimals byte
	}{
		{"INT: SUM DECIMAL(32,0), AVG DECIMAL(14,4)", sum(33, 0, 0), 16, 4},
		{"DECIMAL(6,2): SUM DECIMAL(28,2), AVG DECIMAL(10,6)", sum(30, 2, 0), 12, 6},
		{"unsigned: no sign", sum(32, 0, engine.FlagUnsigned), 15, 4},
		// A SUM at 65 digits may have been cut there: its AVG's precision
		// is unknown, so the length is left to the shards' column.
		{"SUM at the 65-digit cap", sum(67, 2, 0), 0, 6},
		{"decimals at most 30", sum(60, 28, 0), 42, 30},
	}
	for _, tt := range tests {
		got := avgOfSum(tt.sum)
		if got.Length != tt.length || got.Decimals != tt.decimals || got.Type != engine.TypeNewDecimal || got.Flags&engine.FlagBinary == 0 {
			t.Errorf("%s: %+v, want length %d, %d decimals, BINARY", tt.name, got, tt.length, tt.decimals)
		}
	}
}
