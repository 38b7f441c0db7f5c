package sqlparse

import (
	"slices"
	"strings"
	"testing"
)

// The keys of an INSERT that Strata evaluates first, and the statement
// with their values written in.
func TestInsertKeyExprs(t *testing.T) {
	keyOf := func(table string) string {
		if table == "logs" || table == "blog.logs" {
			return "at"
		}
		return ""
	}
	tests := []struct {
		sql     string
		ok      bool
		exprs   []string
		missing bool
		render  string // with values v1, v2, ... and missing value m
	}{
		{"INSERT INTO logs (id, at) VALUES (1, NOW())", true, []string{"NOW()"}, false,
			"INSERT INTO `logs` (`id`,`at`) VALUES (1,'v1')"},
		{"INSERT INTO blog.logs (id, at) VALUES (1, NOW() - INTERVAL 1 DAY), (2, '2024-01-01'), (3, UUID())", true,
			[]string{"DATE_SUB(NOW(), INTERVAL 1 DAY)", "UUID()"}, false,
			"INSERT INTO `blog`.`logs` (`id`,`at`) VALUES (1,'v1'),(2,'2024-01-01'),(3,'v2')"},
		{"INSERT INTO logs SET id = 1, at = CURRENT_TIMESTAMP", true, []string{"CURRENT_TIMESTAMP()"}, false,
			"INSERT INTO `logs` SET `id`=1,`at`='v1'"},
		{"INSERT INTO logs (id, msg) VALUES (1, 'a'), (2, 'b')", true, nil, true,
			"INSERT INTO `logs` (`id`,`msg`,`at`) VALUES (1,'a','m'),(2,'b','m')"},
		// Nothing to evaluate: literals, placeholders, DEFAULT, columns,
		// variables, subqueries, the previous statement's state.
		{"INSERT INTO logs (id, at) VALUES (1, '2024-01-01'), (2, ?), (3, DEFAULT)", false, nil, false, ""},
		{"INSERT INTO logs (id, at) VALUES (1, id), (2, @t), (3, (SELECT MAX(at) FROM logs))", false, nil, false, ""},
		{"INSERT INTO logs (id, at) VALUES (1, ROW_COUNT()), (2, LAST_INSERT_ID(5))", false, nil, false, ""},
		// LAST_INSERT_ID() the session knows: the session writes it in.
		{"INSERT INTO logs (id, at) VALUES (1, LAST_INSERT_ID())", true, []string{"LAST_INSERT_ID()"}, false,
			"INSERT INTO `logs` (`id`,`at`) VALUES (1,'v1')"},
		{"INSERT INTO other (id, at) VALUES (1, NOW())", false, nil, false, ""},
		{"INSERT INTO logs VALUES (1, NOW())", false, nil, false, ""}, // no column list
		{"INSERT INTO logs (id, at) SELECT id, NOW() FROM t", false, nil, false, ""},
	}
	for _, tt := range tests {
		k, ok := Mode{}.InsertKeyExprs(tt.sql, keyOf)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.sql, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if reads := strings.Contains(tt.sql, "LAST_INSERT_ID()"); k.ReadsInsertID != reads {
			t.Errorf("%s: ReadsInsertID = %v", tt.sql, k.ReadsInsertID)
		}
		if !slices.Equal(k.Exprs, tt.exprs) || k.Missing != tt.missing {
			t.Errorf("%s: exprs %q missing %v, want %q %v", tt.sql, k.Exprs, k.Missing, tt.exprs, tt.missing)
		}
		values := make([]string, len(k.Exprs))
		for i := range values {
			values[i] = "'v" + string(rune('1'+i)) + "'"
		}
		if got, err := k.Render(values, "'m'"); err != nil || got != tt.render {
			t.Errorf("%s: rendered\n %s (%v)\nwant\n %s", tt.sql, got, err, tt.render)
		}
	}
}
