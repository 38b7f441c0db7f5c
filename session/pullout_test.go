package session

import (
	"errors"
	"testing"

	"github.com/strata-proxy/strata/engine"
)

// A subquery's values go into the outer statement as literals that
// compare like the values: numbers bare, plain text quoted (the compared
// column's collation applies, a shard key routes), other text as hex in
// its character set, never text that could end the literal early.
func TestPulledLiteral(t *testing.T) {
	utf8 := engine.Column{Type: engine.TypeVarString, Charset: 45}
	tests := []struct {
		col  engine.Column
		v    engine.Value
		want string
	}{
		{engine.Column{Type: engine.TypeLongLong}, engine.Value("-12"), "-12"},
		{engine.Column{Type: engine.TypeNewDecimal, Decimals: 2}, engine.Value("3.50"), "3.50"},
		{engine.Column{Type: engine.TypeDouble}, engine.Value("1.5e-7"), "1.5e-7"},
		{utf8, engine.Value("bob"), "'bob'"},
		{utf8, nil, "NULL"},
		{engine.Column{Type: engine.TypeDateTime, Charset: engine.CharsetBinary}, engine.Value("2026-12-02 10:00:00"), "'2026-12-02 10:00:00'"},
		{engine.Column{Type: engine.TypeDate, Charset: 45}, engine.Value("2026-12-02"), "'2026-12-02'"},
		{utf8, engine.Value("o'brien"), "CONVERT(X'6f27627269656e' USING utf8mb4) COLLATE utf8mb4_general_ci"},
		{utf8, engine.Value(`a\`), "CONVERT(X'615c' USING utf8mb4) COLLATE utf8mb4_general_ci"},
		{utf8, engine.Value("zoë"), "CONVERT(X'7a6fc3ab' USING utf8mb4) COLLATE utf8mb4_general_ci"},
		{engine.Column{Type: engine.TypeBlob, Charset: engine.CharsetBinary}, engine.Value{0, 0xff}, "X'00ff'"},
	}
	for _, tt := range tests {
		got, err := pulledLiteral(tt.col, tt.v)
		if err != nil || got != tt.want {
			t.Errorf("pulledLiteral(%+v, %q) = %s, %v; want %s", tt.col, tt.v, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		col engine.Column
		v   engine.Value
	}{
		{engine.Column{Type: engine.TypeLong}, engine.Value("1) OR (1")},
		{engine.Column{Type: engine.TypeJSON, Charset: 45}, engine.Value("{}")},
	} {
		if got, err := pulledLiteral(bad.col, bad.v); !errors.Is(err, engine.ErrNotComputable) {
			t.Errorf("pulledLiteral(%+v, %q) = %s, %v; want an error", bad.col, bad.v, got, err)
		}
	}
}
