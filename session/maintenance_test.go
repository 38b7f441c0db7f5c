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
		{table: "blog.users", cluster: "accounts", physical: "users"},
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
