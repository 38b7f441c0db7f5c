package shardops

import (
	"database/sql"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

// The zero values were read from MariaDB 10.11: a multi-row INSERT of NULL
// into a NOT NULL unique column under an empty sql_mode stores them, and the
// duplicate's error shows them so.
func TestZeroValueIsWhatMariaDBStores(t *testing.T) {
	tests := []struct {
		dataType                 string
		octets, scale, precision int
		literal, shown           string
	}{
		{"varchar", 80, 0, 0, "''", ""},
		{"ENUM", 1, 0, 0, "''", ""},
		{"longtext", 0, 0, 0, "''", ""},
		{"binary", 4, 0, 0, "X'00000000'", `\x00`},
		{"bigint", 0, 0, 0, "0", "0"},
		{"decimal", 0, 3, 0, "0", "0.000"},
		{"decimal", 0, 0, 0, "0", "0"},
		{"year", 0, 0, 0, "0", "0000"},
		{"date", 0, 0, 0, "'0000-00-00'", "0000-00-00"},
		{"datetime", 0, 0, 3, "'0000-00-00 00:00:00.000'", "0000-00-00 00:00:00.000"},
		{"time", 0, 0, 2, "'00:00:00.00'", "00:00:00.00"},
		{"uuid", 0, 0, 0, "'00000000-0000-0000-0000-000000000000'", "00000000-0000-0000-0000-000000000000"},
		{"inet6", 0, 0, 0, "'::'", "::"},
		// A TIMESTAMP left out of a non-strict INSERT; a type Strata does
		// not know is not guessed.
		{"timestamp", 0, 0, 0, "'0000-00-00 00:00:00'", "0000-00-00 00:00:00"},
		{"timestamp", 0, 0, 6, "'0000-00-00 00:00:00.000000'", "0000-00-00 00:00:00.000000"},
		{"point", 0, 0, 0, "", ""},
	}
	for _, tt := range tests {
		literal, shown := zeroValue(tt.dataType, tt.octets, tt.scale, tt.precision)
		if literal != tt.literal || shown != tt.shown {
			t.Errorf("zeroValue(%s, %d, %d, %d) = %q, %q; want %q, %q", tt.dataType, tt.octets, tt.scale, tt.precision, literal, shown, tt.literal, tt.shown)
		}
	}
}

// What a key column stores for a row that gives it no key, from its
// information_schema.COLUMNS row: a constant default as written, and the
// type's zero where it is NOT NULL; an expression default, a NULL
// default, and a TIMESTAMP's zero (it stores the clock for a NULL) are
// not taken.
func TestStoredAloneIsTheDefaultOrTheZero(t *testing.T) {
	none := sql.NullString{}
	def := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	tests := []struct {
		dataType string
		def      sql.NullString
		notNull  bool
		want     shard.StoredAlone
	}{
		{"int", def("7"), true, shard.StoredAlone{Default: "7", NotNull: true, Zero: "0"}},
		{"int", none, true, shard.StoredAlone{NotNull: true, Zero: "0"}},
		{"int", def("NULL"), false, shard.StoredAlone{}},
		{"bigint", def("-1.5e3"), false, shard.StoredAlone{Default: "-1.5e3"}},
		{"varchar", def("'eu'"), true, shard.StoredAlone{Default: "'eu'", NotNull: true, Zero: "''"}},
		{"varchar", def("uuid()"), true, shard.StoredAlone{ExprDefault: true, Expr: "uuid()", NotNull: true, Zero: "''"}},
		{"varchar", def("concat(`region`,'-')"), true, shard.StoredAlone{ExprDefault: true, NotNull: true, Zero: "''"}},
		{"binary", none, true, shard.StoredAlone{NotNull: true, Zero: "X'0000'"}},
		{"timestamp", def("current_timestamp()"), true, shard.StoredAlone{ExprDefault: true, Expr: "current_timestamp()"}},
		{"datetime", def("current_timestamp()"), true, shard.StoredAlone{ExprDefault: true, Expr: "current_timestamp()", NotNull: true, Zero: "'0000-00-00 00:00:00'"}},
	}
	for _, tt := range tests {
		if got := storedAlone(tt.dataType, tt.def, tt.notNull, 2, 0, 0); got != tt.want {
			t.Errorf("storedAlone(%s, %v, not null %v) = %+v, want %+v", tt.dataType, tt.def, tt.notNull, got, tt.want)
		}
	}
}
