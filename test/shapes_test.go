package test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

var parsesSample = regexp.MustCompile(`(?m)^strata_statement_parses_total\{result="(\w+)"\} (\d+)$`)

// An application that inlines its values (PHP PDO's default) sends a new
// text for every value. Strata parses one text per statement shape and
// serves the others from it: each still gets its own answer, from the
// server its own facts route it to, and /metrics counts how statements
// Strata had not seen got their facts.
func TestStatementsOfOneShapeParseOnce(t *testing.T) {
	t.Parallel()
	s, _ := testenv.StartStrataFile(t, topologyYAML)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	parses := func() map[string]int {
		t.Helper()
		got := map[string]int{}
		for _, m := range parsesSample.FindAllStringSubmatch(testenv.GetText(t, "http://"+s.AdminAddr()+"/metrics"), -1) {
			got[m[1]], _ = strconv.Atoi(m[2])
		}
		return got
	}
	before := parses()
	const n = 100
	for i := range n {
		var sum int
		var text string
		q := fmt.Sprintf("SELECT %d + 1, CONCAT('v', '%d')", i, i)
		if err := db.QueryRow(q).Scan(&sum, &text); err != nil || sum != i+1 || text != fmt.Sprintf("v%d", i) {
			t.Fatalf("%s = %d, %q, %v", q, sum, text, err)
		}
	}
	after := parses()
	shaped, parsed := after["shape"]-before["shape"], after["parser"]-before["parser"]
	if shaped < n-1 || parsed > 1 {
		t.Errorf("%d statements of one shape: %d served from the shape, %d parsed; want %d and 1", n, shaped, parsed, n-1)
	}
	// A statement whose facts hold its value is parsed each time, and
	// each value takes effect: autocommit off then on.
	conn, err := db.Conn(testenv.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, v := range []int{0, 1, 0} {
		if _, err := conn.ExecContext(testenv.Ctx(t), fmt.Sprintf("SET autocommit = %d", v)); err != nil {
			t.Fatal(err)
		}
		var got int
		if err := conn.QueryRowContext(testenv.Ctx(t), "SELECT @@autocommit").Scan(&got); err != nil || got != v {
			t.Fatalf("after SET autocommit = %d: @@autocommit = %d, %v", v, got, err)
		}
	}
}
