package sqlparse

import (
	"slices"
	"strings"
	"testing"
)

// The clock bounds of a key that Strata evaluates first, and the statement
// with their values written in.
func TestKeyBoundExprs(t *testing.T) {
	keyOf := func(table string) string {
		if strings.EqualFold(table, "logs") {
			return "at"
		}
		return ""
	}
	tests := []struct {
		sql    string
		exprs  []string
		render string // values v1, v2, ...
	}{
		{"SELECT COUNT(*) FROM logs WHERE at > NOW() - INTERVAL 1 DAY",
			[]string{"DATE_SUB(NOW(), INTERVAL 1 DAY)"},
			"SELECT COUNT(1) AS `COUNT(*)` FROM `logs` WHERE `at`>'v1'"},
		{"SELECT * FROM logs l WHERE l.at BETWEEN CURDATE() AND NOW() AND msg = 'x' ORDER BY at DESC LIMIT 5",
			[]string{"CURDATE()", "NOW()"},
			"SELECT * FROM `logs` AS `l` WHERE `l`.`at` BETWEEN 'v1' AND 'v2' AND `msg`='x' ORDER BY `at` DESC LIMIT 5"},
		{"DELETE FROM logs WHERE CURRENT_TIMESTAMP - INTERVAL 30 DAY > at",
			[]string{"DATE_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)"},
			"DELETE FROM `logs` WHERE 'v1'>`at`"},
		{"UPDATE logs SET msg = 'old' WHERE at IN (CURDATE(), '2024-01-01')",
			[]string{"CURDATE()"},
			"UPDATE `logs` SET `msg`='old' WHERE `at` IN ('v1','2024-01-01')"},
		// Nothing to evaluate.
		{"SELECT * FROM logs WHERE at > '2024-01-01'", nil, ""},
		{"SELECT * FROM logs WHERE at > NOW() - INTERVAL RAND() DAY", nil, ""},
		{"SELECT * FROM logs WHERE at > (SELECT MAX(at) FROM logs)", nil, ""},
		{"SELECT * FROM logs WHERE msg > NOW()", nil, ""},
		{"SELECT * FROM logs WHERE at > NOW() OR msg = 'x'", nil, ""},
		{"SELECT * FROM logs WHERE at NOT BETWEEN CURDATE() AND NOW()", nil, ""},
		{"SELECT * FROM other WHERE at > NOW()", nil, ""},
		{"SELECT * FROM logs JOIN other ON other.id = logs.id WHERE logs.at > NOW()", nil, ""},
		{"SELECT * FROM logs WHERE other.at > NOW()", nil, ""},
	}
	for _, tt := range tests {
		b, ok := Mode{}.KeyBoundExprs(tt.sql, keyOf)
		if ok != (tt.exprs != nil) {
			t.Errorf("%s: ok = %v", tt.sql, ok)
			continue
		}
		if !ok {
			continue
		}
		if !slices.Equal(b.Exprs, tt.exprs) {
			t.Errorf("%s: exprs %q, want %q", tt.sql, b.Exprs, tt.exprs)
		}
		values := make([]string, len(b.Exprs))
		for i := range values {
			values[i] = "'v" + string(rune('1'+i)) + "'"
		}
		if got, err := b.Render(values); err != nil || got != tt.render {
			t.Errorf("%s: rendered\n %s (%v)\nwant\n %s", tt.sql, got, err, tt.render)
		}
	}
}
