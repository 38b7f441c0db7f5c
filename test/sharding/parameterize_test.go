package sharding

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parameterize turns the literals of a generated statement's WHERE,
// HAVING, LIMIT, OFFSET, VALUES and SET into placeholders, as an application binds its values
// (PDO's native prepares, Go's database/sql), and returns the values: a
// number without a point as an int64, the rest as strings. Literals
// elsewhere (select lists, ORDER BY and GROUP BY positions, window frames,
// GROUP_CONCAT's SEPARATOR) stay, since a placeholder would change what
// the query means or is not allowed there. A form the server then rejects
// (a CAST's precision, a typed literal) is run as written instead.
func parameterize(sql string) (string, []any) {
	var b strings.Builder
	var args []any
	binding := false
	lastWord := "" // the last word, upper-case
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			end, val := quoted(sql, i)
			if binding {
				b.WriteByte('?')
				args = append(args, val)
			} else {
				b.WriteString(sql[i:end])
			}
			i = end
		case c == '`':
			end := strings.IndexByte(sql[i+1:], '`')
			if end < 0 {
				end = len(sql) - i - 2
			}
			b.WriteString(sql[i : i+end+2])
			i += end + 2
		case isDigit(c) && (i == 0 || !isWordByte(sql[i-1])):
			end := i
			for end < len(sql) && (isDigit(sql[end]) || sql[end] == '.') {
				end++
			}
			if end < len(sql) && isWordByte(sql[end]) { // 0x41, 1e3: left alone
				for end < len(sql) && isWordByte(sql[end]) {
					end++
				}
				b.WriteString(sql[i:end])
			} else if binding {
				b.WriteByte('?')
				if n, err := strconv.ParseInt(sql[i:end], 10, 64); err == nil {
					args = append(args, n)
				} else {
					args = append(args, sql[i:end])
				}
			} else {
				b.WriteString(sql[i:end])
			}
			i = end
		case isWordByte(c):
			end := i
			for end < len(sql) && isWordByte(sql[end]) {
				end++
			}
			word := strings.ToUpper(sql[i:end])
			switch {
			case word == "LIMIT" && lastWord == "SEPARATOR":
				// GROUP_CONCAT(... SEPARATOR '|' LIMIT n): Strata runs it
				// only as written, without placeholders.
			case slices.Contains([]string{"WHERE", "HAVING", "LIMIT", "OFFSET", "ON", "VALUES", "SET"}, word):
				binding = true
			case slices.Contains([]string{"SELECT", "FROM", "GROUP", "ORDER", "SEPARATOR", "OVER", "ROWS", "RANGE", "WINDOW", "AS", "FETCH"}, word):
				binding = false
			}
			b.WriteString(sql[i:end])
			i, lastWord = end, word
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), args
}

// quoted reads the single-quoted string at sql[i]: where it ends and its
// value (doubled quotes and backslash escapes undone).
func quoted(sql string, i int) (end int, val string) {
	var v strings.Builder
	for j := i + 1; j < len(sql); j++ {
		switch {
		case sql[j] == '\\' && j+1 < len(sql):
			j++
			if e, ok := map[byte]byte{'n': '\n', 't': '\t', '0': 0}[sql[j]]; ok {
				v.WriteByte(e)
			} else {
				v.WriteByte(sql[j])
			}
		case sql[j] == '\'' && j+1 < len(sql) && sql[j+1] == '\'':
			v.WriteByte('\'')
			j++
		case sql[j] == '\'':
			return j + 1, v.String()
		default:
			v.WriteByte(sql[j])
		}
	}
	return len(sql), v.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isWordByte(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func TestParameterize(t *testing.T) {
	tests := []struct {
		in, want string
		args     []any
	}{
		{"SELECT a, 5 FROM t WHERE b = 'x''y' AND c IN (1, 2.5) ORDER BY 1 LIMIT 3 OFFSET 4",
			"SELECT a, 5 FROM t WHERE b = ? AND c IN (?, ?) ORDER BY 1 LIMIT ? OFFSET ?", []any{"x'y", int64(1), "2.5", int64(3), int64(4)}},
		{"SELECT GROUP_CONCAT(a SEPARATOR '|') FROM t1 WHERE x1 > 0x41 GROUP BY k HAVING COUNT(*) > 2",
			"SELECT GROUP_CONCAT(a SEPARATOR '|') FROM t1 WHERE x1 > 0x41 GROUP BY k HAVING COUNT(*) > ?", []any{int64(2)}},
		{"SELECT * FROM t WHERE s = 'a\\'b' AND `c 1` = 7", "SELECT * FROM t WHERE s = ? AND `c 1` = ?", []any{"a'b", int64(7)}},
		{"SELECT k, GROUP_CONCAT(a ORDER BY a SEPARATOR '|' LIMIT 2) FROM t1 WHERE k > 1 GROUP BY k LIMIT 4",
			"SELECT k, GROUP_CONCAT(a ORDER BY a SEPARATOR '|' LIMIT 2) FROM t1 WHERE k > ? GROUP BY k LIMIT ?", []any{int64(1), int64(4)}},
	}
	for _, tt := range tests {
		got, args := parameterize(tt.in)
		if got != tt.want || len(args) != len(tt.args) {
			t.Errorf("parameterize(%q) = %q %v, want %q %v", tt.in, got, args, tt.want, tt.args)
			continue
		}
		for i := range args {
			if args[i] != tt.args[i] {
				t.Errorf("parameterize(%q) arg %d = %#v, want %#v", tt.in, i, args[i], tt.args[i])
			}
		}
	}
}
