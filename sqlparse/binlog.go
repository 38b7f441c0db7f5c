package sqlparse

import "strings"

// SkipsBinlog reports whether statement f turns off the binary log of its
// session: SET [SESSION] sql_log_bin = 0 / OFF / FALSE (or to a value only
// the server knows, @x), or SET STATEMENT sql_log_bin = 0 FOR .... Its
// writes would then reach the primary and none of the replicas.
func (m Mode) SkipsBinlog(f *Facts) bool {
	for _, v := range f.SessionVars {
		if v.Name == "sql_log_bin" && !v.Global && !binlogOn(v.Value) {
			return true
		}
	}
	if f.Kind == KindSet || !StartsSetStatement(f.Text) {
		return false
	}
	assignments, _, ok := m.SplitSetStatement(f.Text)
	if !ok {
		return false
	}
	sc := newScanner(assignments)
	sc.noBackslash = m.noBackslash
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		name := strings.ToLower(sc.text(t))
		name = strings.TrimPrefix(strings.TrimPrefix(name, "@@"), "session.")
		if name != "sql_log_bin" {
			continue
		}
		if eq := sc.nextCode(); sc.text(eq) != "=" && sc.text(eq) != ":=" {
			return true // a form not read here: as off
		}
		return !binlogOn(sc.text(sc.nextCode()))
	}
	return false
}

// binlogOn reports whether value turns sql_log_bin on.
func binlogOn(value string) bool {
	switch strings.ToUpper(strings.Trim(value, "'\"")) {
	case "1", "ON", "TRUE", "DEFAULT":
		return true
	}
	return false
}
