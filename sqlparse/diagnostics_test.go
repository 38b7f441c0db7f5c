package sqlparse

import (
	"reflect"
	"testing"
)

func TestParseDiagnosticsRead(t *testing.T) {
	show := func(errorsOnly, count bool, offset, limit int64) *DiagnosticsRead {
		return &DiagnosticsRead{Show: true, ErrorsOnly: errorsOnly, Count: count, Offset: offset, Limit: limit}
	}
	counts := func(items ...DiagnosticsCount) *DiagnosticsRead {
		return &DiagnosticsRead{Limit: -1, Counts: items}
	}
	for _, tc := range []struct {
		sql  string
		want *DiagnosticsRead
	}{
		{"SHOW WARNINGS", show(false, false, 0, -1)},
		{"show errors;", show(true, false, 0, -1)},
		{"SHOW WARNINGS LIMIT 5", show(false, false, 0, 5)},
		{"SHOW WARNINGS LIMIT 1, 2", show(false, false, 1, 2)},
		{"SHOW ERRORS LIMIT 2 OFFSET 1", show(true, false, 1, 2)},
		{"SHOW COUNT(*) WARNINGS", show(false, true, 0, -1)},
		{"show count ( * ) errors", show(true, true, 0, -1)},
		{"SELECT @@warning_count", counts(DiagnosticsCount{Name: "@@warning_count"})},
		{"SELECT @@SESSION.error_count, @@local.Warning_Count AS w", counts(DiagnosticsCount{Name: "@@SESSION.error_count", Errors: true}, DiagnosticsCount{Name: "w"})},
		{"select @@error_count `e`", counts(DiagnosticsCount{Name: "e", Errors: true})},
		// Anything else is the server's to answer.
		{"SHOW WARNINGS LIMIT", nil},
		{"SHOW WARNINGS LIMIT -1", nil},
		{"SHOW COUNT(*) WARNINGS LIMIT 1", nil},
		{"SHOW VARIABLES", nil},
		{"SELECT @@warning_count FROM dual", nil},
		{"SELECT @@warning_count + 1", nil},
		{"SELECT @@warning_count,", nil},
		{"SELECT @@global.warning_count", nil},
		{"SELECT @@max_error_count", nil},
		{"SELECT 1", nil},
	} {
		got, ok := Mode{}.ParseDiagnosticsRead(tc.sql)
		if ok != (tc.want != nil) || tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseDiagnosticsRead(%q) = %+v, %v; want %+v", tc.sql, got, ok, tc.want)
		}
	}
}

func TestIsGetDiagnostics(t *testing.T) {
	for sql, want := range map[string]bool{
		"GET DIAGNOSTICS @n = NUMBER":                           true,
		"get current diagnostics condition 1 @e = MYSQL_ERRNO;": true,
		"GET STACKED DIAGNOSTICS @n = NUMBER":                   true,
		"/* app */ GET DIAGNOSTICS @n = NUMBER, @r = ROW_COUNT": true,
		"SELECT 'GET DIAGNOSTICS'":                              false,
		"GET_LOCK('a', 1)":                                      false,
		"SHOW WARNINGS":                                         false,
		"GET CURRENT":                                           false,
	} {
		if got := (Mode{}).IsGetDiagnostics(sql); got != want {
			t.Errorf("IsGetDiagnostics(%q) = %v, want %v", sql, got, want)
		}
	}
}
