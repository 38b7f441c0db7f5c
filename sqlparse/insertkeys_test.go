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
		render  string // with values v1, v2, ... and the default's d1, d2, ...
	}{
		{"INSERT INTO logs (id, at) VALUES (1, NOW())", true, []string{"NOW()"}, false,
			"INSERT INTO `logs` (`id`,`at`) VALUES (1,'v1')"},
		{"INSERT INTO blog.logs (id, at) VALUES (1, NOW() - INTERVAL 1 DAY), (2, '2024-01-01'), (3, UUID())", true,
			[]string{"DATE_SUB(NOW(), INTERVAL 1 DAY)", "UUID()"}, false,
			"INSERT INTO `blog`.`logs` (`id`,`at`) VALUES (1,'v1'),(2,'2024-01-01'),(3,'v2')"},
		{"INSERT INTO logs SET id = 1, at = CURRENT_TIMESTAMP", true, []string{"CURRENT_TIMESTAMP()"}, false,
			"INSERT INTO `logs` SET `id`=1,`at`='v1'"},
		{"INSERT INTO logs (id, msg) VALUES (1, 'a'), (2, 'b')", true, nil, true,
			"INSERT INTO `logs` (`id`,`msg`,`at`) VALUES (1,'a','d1'),(2,'b','d2')"},
		// DEFAULT and DEFAULT(at) take the default; a literal and a
		// placeholder stay.
		{"INSERT INTO logs (id, at) VALUES (1, '2024-01-01'), (2, ?), (3, DEFAULT), (4, DEFAULT(at))", true, nil, false,
			"INSERT INTO `logs` (`id`,`at`) VALUES (1,'2024-01-01'),(2,?),(3,'d1'),(4,'d2')"},
		{"INSERT INTO logs (id, at) VALUES (1, NOW()), (2, DEFAULT)", true, []string{"NOW()"}, false,
			"INSERT INTO `logs` (`id`,`at`) VALUES (1,'v1'),(2,'d1')"},
		// Nothing to evaluate: literals, placeholders, another column's
		// DEFAULT, columns, variables, subqueries, the previous statement's
		// state.
		{"INSERT INTO logs (id, at) VALUES (1, '2024-01-01'), (2, ?), (3, DEFAULT(id))", false, nil, false, ""},
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
		filled := make([]string, k.TakingDefault())
		for i := range filled {
			filled[i] = "'d" + string(rune('1'+i)) + "'"
		}
		if got, err := k.Render(values, filled); err != nil || got != tt.render {
			t.Errorf("%s: rendered\n %s (%v)\nwant\n %s", tt.sql, got, err, tt.render)
		}
	}
}

// The rows that take the key's default get one value for all, or their
// own each; none leaves them as written.
func TestInsertKeysRenderDefaults(t *testing.T) {
	keyOf := func(string) string { return "at" }
	tests := []struct {
		sql    string
		filled []string
		want   string
	}{
		{"INSERT INTO logs (id) VALUES (1), (2)", []string{"'t'"}, "INSERT INTO `logs` (`id`,`at`) VALUES (1,'t'),(2,'t')"},
		{"INSERT INTO logs (id) VALUES (1), (2)", []string{"'a'", "'b'"}, "INSERT INTO `logs` (`id`,`at`) VALUES (1,'a'),(2,'b')"},
		{"INSERT INTO logs (id, at) VALUES (1, DEFAULT), (2, '2024-01-01'), (3, DEFAULT)", []string{"'a'", "'b'"},
			"INSERT INTO `logs` (`id`,`at`) VALUES (1,'a'),(2,'2024-01-01'),(3,'b')"},
		{"INSERT INTO logs (id, at) VALUES (1, DEFAULT)", nil, "INSERT INTO `logs` (`id`,`at`) VALUES (1,DEFAULT)"},
		{"INSERT INTO logs SET id = 1", []string{"'a'"}, "INSERT INTO `logs` SET `id`=1,`at`='a'"},
	}
	for _, tt := range tests {
		k, ok := Mode{}.InsertKeyExprs(tt.sql, keyOf)
		if !ok {
			t.Errorf("%s: not ok", tt.sql)
			continue
		}
		if got, err := k.Render(nil, tt.filled); err != nil || got != tt.want {
			t.Errorf("%s with %q: %s (%v), want %s", tt.sql, tt.filled, got, err, tt.want)
		}
	}
}

// A column default Strata evaluates on its own is an expression of no
// column or session state.
func TestEvaluableAlone(t *testing.T) {
	tests := []struct {
		def  string
		want bool
	}{
		{"uuid()", true},
		{"uuid_short()", true},
		{"current_timestamp()", true},
		{"concat('k-',uuid())", true},
		{"(rand() * 10)", true},
		{"7", false},
		{"'eu'", false},
		{"`a` + 1", false},
		{"nextval(`s`)", false},
		{"connection_id()", false},
		{"not an expression (", false},
	}
	for _, tt := range tests {
		if got := (Mode{}).EvaluableAlone(tt.def); got != tt.want {
			t.Errorf("EvaluableAlone(%s) = %v, want %v", tt.def, got, tt.want)
		}
	}
}
