package session

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/engine"
)

func TestFoldMaintenance(t *testing.T) {
	row := func(table, op, typ, text string) engine.Row {
		return engine.Row{[]byte(table), []byte(op), []byte(typ), []byte(text)}
	}
	jobs := []maintenanceJob{
		{table: "blog.posts", cluster: "s0", physical: "posts"},
		{table: "blog.posts", cluster: "s0", physical: "posts_2025_01"},
		{table: "blog.posts", cluster: "s1", physical: "posts"},
		{index: 1, table: "blog.users", cluster: "accounts", physical: "users"},
	}
	answers := [][]engine.Row{
		{row("blog.posts", "check", "status", "OK")},
		{row("blog.posts_2025_01", "check", "warning", "1 client is using or hasn't closed the table properly"), row("blog.posts_2025_01", "check", "status", "OK")},
		{row("blog.posts", "check", "status", "OK")},
		{row("blog.users", "check", "Error", "Table 'blog.users' doesn't exist"), row("blog.users", "check", "status", "Operation failed")},
	}
	var got []string
	for _, r := range foldMaintenance(jobs, answers) {
		got = append(got, string(r[0])+"|"+string(r[1])+"|"+string(r[2])+"|"+string(r[3]))
	}
	want := []string{
		"blog.posts|check|status|OK",
		"blog.posts|check|warning|s0 (posts_2025_01): 1 client is using or hasn't closed the table properly",
		"blog.users|check|Error|Table 'blog.users' doesn't exist",
		"blog.users|check|status|Operation failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("foldMaintenance =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFoldChecksums(t *testing.T) {
	sum := func(text string) []engine.Row {
		if text == "NULL" {
			return []engine.Row{{[]byte("t"), nil}}
		}
		return []engine.Row{{[]byte("t"), []byte(text)}}
	}
	parts := func(index int, table string, clusters ...string) []maintenanceJob {
		var out []maintenanceJob
		for _, c := range clusters {
			out = append(out, maintenanceJob{index: index, table: table, cluster: c, physical: "x"})
		}
		return out
	}
	copies := func(index int, table string, clusters ...string) []maintenanceJob {
		out := parts(index, table, clusters...)
		for i := range out {
			out[i].whole = true
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		jobs    []maintenanceJob
		answers [][]engine.Row
		want    string // rows as table|checksum, or the error's text
	}{
		{"parts add up", parts(0, "blog.t", "s0", "s1"), [][]engine.Row{sum("10"), sum("32")}, "blog.t|42"},
		{"modulo 2^32", parts(0, "blog.t", "s0", "s1"), [][]engine.Row{sum("4294967295"), sum("2")}, "blog.t|1"},
		{"a part without a checksum", parts(0, "blog.t", "s0", "s1"), [][]engine.Row{sum("7"), sum("NULL")}, "blog.t|NULL"},
		{"copies that agree", copies(0, "blog.c", "s0", "s1", "s2"), [][]engine.Row{sum("9"), sum("9"), sum("9")}, "blog.c|9"},
		{"copies that differ", copies(0, "blog.c", "s0", "s1", "s2"), [][]engine.Row{sum("9"), sum("8"), sum("9")}, "copies of this reference table differ (s0, s2: 9; s1: 8)"},
		{"each table in turn", append(parts(0, "blog.t", "s0", "s1"), parts(1, "blog.u", "main")...), [][]engine.Row{sum("1"), sum("2"), sum("5")}, "blog.t|3,blog.u|5"},
	} {
		rows, err := foldChecksums(tc.jobs, tc.answers)
		var got []string
		for _, r := range rows {
			v := "NULL"
			if r[1] != nil {
				v = string(r[1])
			}
			got = append(got, string(r[0])+"|"+v)
		}
		text := strings.Join(got, ",")
		if err != nil {
			text = err.Message
		}
		if !strings.Contains(text, tc.want) || err == nil && text != tc.want {
			t.Errorf("%s: foldChecksums = %q, want %q", tc.name, text, tc.want)
		}
	}
}
