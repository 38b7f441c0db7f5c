package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shardops"
)

// shardsYAML points at primaries nobody listens on: the commands must
// report each table's failure, not hang or stop at the first.
const shardsYAML = `users: [{name: app, password: app}]
backend: {user: strata, password: strata}
default_cluster: main
limits: {connect_timeout: 1s}
clusters:
  main: {primary: 127.0.0.1:1}
  s0: {primary: 127.0.0.1:2}
  s1: {primary: 127.0.0.1:3}
tables:
  events: {shard_key: id, method: range, shards: {s0: "..1000", s1: "1000.."}}
  posts: {shard_key: created_at, method: date, period: year, since: "2020-01-01", ahead: 1, shards: {s0: ".."}}
`

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strata.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestShardsCommandErrors(t *testing.T) {
	path := writeConfig(t, shardsYAML)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing action"},
		{[]string{"split"}, `unknown action "split"`},
		{[]string{"capacity", "-c", path}, "missing -schema"},
		{[]string{"precreate", "-c", path, "extra", "-schema", "blog"}, "unexpected arguments: extra"},
		{[]string{"capacity", "-c", filepath.Join(t.TempDir(), "none.yaml"), "-schema", "blog"}, "reading config"},
		{[]string{"move-key", "-c", path, "-schema", "blog", "-table", "orders", "-key", "42"}, "missing -table, -key or -to"},
		{[]string{"move-key", "-c", path, "-schema", "blog", "-table", "events", "-key", "42", "-to", "s1"}, "events is not a lookup-sharded table"},
	} {
		out, err := run(t, runShards, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
	if out := mustRun(t, runShards, "-h"); !strings.Contains(out, "precreate") || !strings.Contains(out, "move-key") {
		t.Errorf("help:\n%s", out)
	}
}

func TestShardsUnreachable(t *testing.T) {
	path := writeConfig(t, shardsYAML)
	out, err := run(t, runShards, "capacity", "-c", path, "-schema", "blog")
	if err == nil || !strings.Contains(err.Error(), "could not be measured") {
		t.Errorf("capacity error = %v", err)
	}
	wantLines(t, out, "TABLE", "events", "s1", "1000", "error:")

	out, err = run(t, runShards, "precreate", "-c", path, "-schema", "blog", "-json")
	if err == nil {
		t.Error("precreate against no server succeeded")
	}
	var tables []struct {
		Table, Shard, Error string
	}
	if jerr := json.Unmarshal([]byte(out), &tables); jerr != nil || len(tables) != 2 || tables[0].Shard != "s0" || tables[0].Error == "" {
		t.Errorf("precreate -json = %v\n%s", jerr, out)
	}
	if !strings.HasPrefix(tables[0].Table, "posts_") {
		t.Errorf("period table %q", tables[0].Table)
	}

	keep := writeConfig(t, strings.Replace(shardsYAML, "ahead: 1,", "ahead: 1, keep: 2,", 1))
	out, err = run(t, runShards, "expire", "-c", keep, "-schema", "blog", "-apply")
	if err == nil || !strings.Contains(err.Error(), "expiring period tables") || !strings.Contains(err.Error(), "on s0") {
		t.Errorf("expire error = %v\n%s", err, out)
	}

	out, err = run(t, runShards, "verify", "-c", path, "-schema", "blog")
	if err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("verify error = %v", err)
	}
	wantLines(t, out, "TABLE", "events", "s0", "s1", "error:")

	out, err = run(t, runShards, "check-schema", "-c", path, "-schema", "blog", "-table", "posts")
	if err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("check-schema error = %v", err)
	}
	wantLines(t, out, "TABLE", "posts", "posts_2020", "error: reading the definition of `blog`.`posts`")
	if strings.Contains(out, "events") {
		t.Errorf("check-schema -table posts reported events:\n%s", out)
	}
}

func TestShardsNothingToDo(t *testing.T) {
	path := writeConfig(t, `users: [{name: app, password: app}]
backend: {user: strata, password: strata}
clusters:
  main: {primary: 127.0.0.1:1}
`)
	wantLines(t, mustRun(t, runShards, "capacity", "-c", path, "-schema", "blog"), "no range-sharded tables")
	wantLines(t, mustRun(t, runShards, "precreate", "-c", path, "-schema", "blog"), "no date-sharded tables")
	wantLines(t, mustRun(t, runShards, "expire", "-c", path, "-schema", "blog"), "0 tables older than keep:")
	wantLines(t, mustRun(t, runShards, "verify", "-c", path, "-schema", "blog"), "no sharded or reference tables")
	wantLines(t, mustRun(t, runShards, "check-schema", "-c", path, "-schema", "blog"), "no sharded or reference tables")
	if out := mustRun(t, runShards, "capacity", "-c", path, "-schema", "blog", "-json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("capacity -json = %q", out)
	}
}

// verify prints, beside each shard's table, what it found of a unique key
// without the shard key: the values several shards hold, or why the key
// was not compared.
func TestPrintPlacementOfUniqueKeys(t *testing.T) {
	var out bytes.Buffer
	cliOut = &out
	defer func() { cliOut = os.Stdout }()
	printPlacement([]shardops.PlacementReport{
		{Table: "comments", Shard: "s0", Physical: "comments", Rows: 5},
		{Table: "comments", Shard: "(every shard)", Physical: "unique key PRIMARY (id)", Rows: 9, Duplicates: 2, Duplicated: []string{"7 on s0, s1", "9 on s1, s2"}},
		{Table: "members", Shard: "(every shard)", Physical: "unique key nick (nick)", NotChecked: "its columns are not all integers, text or binary: not compared across shards"},
	}, "strata.yaml")
	wantLines(t, out.String(), "unique key PRIMARY (id)", "2 values on several shards: 7 on s0, s1; 9 on s1, s2", "not checked: its columns are not all integers")
}
