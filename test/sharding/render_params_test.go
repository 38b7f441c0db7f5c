package sharding

import (
	"fmt"
	"testing"
	"time"
)

// A prepared statement over several shards runs there as text, its bound
// values written in as literals: strings with quotes, backslashes and
// multibyte characters, bytes that are not text, numbers at their limits,
// dates, NULL and booleans must mean what they mean bound on one server,
// and a placeholder's column keeps its name, "?". (Its type is the
// literal's: a bound 2.5 selected comes back as DECIMAL, where one server
// types the placeholder DOUBLE; docs/sharding.md.)
func TestBoundValuesWrittenForTheShardsMeanTheSame(t *testing.T) {
	db := strataDB(t)
	vals := []any{
		"click", "it's", `back\slash`, "uni \u00e9\u4e2d", []byte("click"), []byte{0, 1, 0x27, 0x5c},
		2, int64(-1), uint64(18446744073709551615), 2.5, float32(1.25), "2.50",
		time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), nil, true, "", " click ", "CLICK",
	}
	for _, v := range vals {
		t.Run(fmt.Sprintf("%T %v", v, v), func(t *testing.T) {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{"SELECT id, ? AS v FROM events WHERE kind = ? OR qty = ? ORDER BY id LIMIT 2", []any{v, v, v}},
				{"SELECT COUNT(*), ? FROM events WHERE amount = ? OR happened = ? OR kind = ?", []any{v, v, v, v}},
			} {
				want, err := runQueryArgs(t.Context(), singleBlog, q.sql, q.args...)
				if err != nil {
					t.Fatalf("the single server refuses %s: %v", q.sql, err)
				}
				got, err := runQueryArgs(t.Context(), db, q.sql, q.args...)
				if err != nil {
					t.Fatalf("%s: %v", q.sql, err)
				}
				if fmt.Sprint(got.cols, got.rows) != fmt.Sprint(want.cols, want.rows) {
					t.Fatalf("%s:\nStrata %v %v\nsingle %v %v", q.sql, got.cols, got.rows, want.cols, want.rows)
				}
			}
		})
	}
}
