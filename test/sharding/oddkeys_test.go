package sharding

import (
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// A shard-key predicate written in any of the ways MariaDB reads as a
// number, a string, a bit value, a row, a truth value or a comment finds
// the rows one server finds: a router that took such a value at its face
// (' 6' as text, 5--1 as 5 and a comment, 6 OR 1 as key 6) would ask the
// wrong shard, or too few. Each statement is compared with one server's
// answer, errors included.
func TestOddShardKeyPredicatesAnswerAsOneServer(t *testing.T) {
	got, want := modTable(t, "odd_keys", "id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(10), u BIGINT UNSIGNED")
	for _, c := range []querier{got, want} {
		if _, err := runQuery(testenv.Ctx(t), c, "INSERT INTO odd_keys VALUES (-6, 'm6', 6), (-1, 'm1', 1), (0, 'z', 0), (1, 'a', 1), (5, 'e', 5), (6, 'f', 6), (7, 'g', 7), (9223372036854775807, 'max', 18446744073709551615)"); err != nil {
			t.Fatal(err)
		}
	}
	for _, where := range []string{
		"id = 5--1", "id = 5 -- x\n OR id = 7", "id = 5 # x\n OR id = 7", "id = 5 /*! OR id = 7 */",
		"id = 6.0", "id = 6e0", "id = .6e1", "id = 00006", "id = 5.9999999999999999999", "id = 6.4",
		"id = '6'", "id = ' 6'", "id = '6abc'", "id = '+6'", "id = '6.0'", "id = '6e0'", "id = '0x6'", "id = '6.4'",
		"id = _binary'6'", "id = N'6'", "id = '6' COLLATE utf8mb4_bin", "id = ''", "id = 'abc'",
		"id = 0b110", "id = b'110'", "id = x'06'", "id = 0x06", "id = TRUE",
		"id = -6", "id = - 6", "id = -(-6)", "id = +6", "id = -0", "id = '-0'", "id = 1 + 5", "id = 12 DIV 2", "id = 13 / 2",
		"id = CAST('6' AS SIGNED)", "id = CAST(6.5 AS SIGNED)", "id = (SELECT 6)",
		"id = 6 OR 1", "id = 6 OR TRUE", "id = 6 XOR id = 7", "id = 6 || id = 7", "id = 6 && id = 6",
		"NOT id <> 6", "!(id <> 6)", "6 = id", "id + 0 = 6",
		"(id, v) = (6, 'f')", "(id, v) IN ((6, 'f'), (7, 'g'))", "id IN (6) IS TRUE",
		"(id = 6) = TRUE", "(id = 6) = 0", "id = 6 IS NOT FALSE", "id = 6 IS FALSE", "id = 6 = 0",
		"id = 18446744073709551622", "id = 9223372036854775807.0", "id = 9223372036854775808", "id = -9223372036854775808",
		"u = 18446744073709551615", "u = -1",
		"id IN (6, NULL)", "id NOT IN (6, NULL)", "id NOT IN (6, 7)", "id <=> 6", "id = NULL", "id IS NULL",
		"id BETWEEN 6 AND 5", "id BETWEEN '5' AND '6'", "id = 6 AND id = '6'", "id = 6 AND v = 'F'", "id = 6 AND v = 'f '",
	} {
		q := "SELECT id FROM odd_keys WHERE " + where + " ORDER BY id"
		g, gerr := runQuery(testenv.Ctx(t), got, q)
		w, werr := runQuery(testenv.Ctx(t), want, q)
		if gs, ws := fmt.Sprint(g, gerr), fmt.Sprint(w, werr); gs != ws {
			t.Errorf("%s\nthrough Strata: %s\none server:     %s", q, gs, ws)
		}
	}
}
