package test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// wordpressDir is where scripts/install-deps.sh unpacks Debian's WordPress.
func wordpressDir(t *testing.T) string {
	dir, err := filepath.Abs("../.deps/wordpress")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wp-settings.php")); err != nil {
		t.Fatalf("WordPress is not unpacked in %s (%v): run make deps", dir, err)
	}
	return dir
}

// WordPress, unchanged, runs its site through Strata as on one server: a
// Strata with consistency: global (what a site of PHP requests needs: the
// page after a form is a new connection) installs it, writes posts,
// categories, tags, users and options, takes visitors' comments through
// WordPress's own checks, deletes and trashes, each step a request of its
// own (a new PHP process on a new connection). Every page read — paged
// lists with their totals (SQL_CALC_FOUND_ROWS), search, categories,
// tags, authors, meta ordering, comments, counts, logins — equals the same
// steps run straight against the primary, and the reads ran on the
// replicas (the servers' own row counters).
func TestWordPress(t *testing.T) {
	t.Parallel()
	wordpress := wordpressDir(t)
	script, _ := filepath.Abs("php/wordpress.php")
	global, err := testenv.StartStrata(strings.Replace(topologyYAML, "    primary: 127.0.0.1:17306\n", "    primary: 127.0.0.1:17306\n    consistency: global\n", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(global.Close)
	ctx := ctxFor(t)
	for _, q := range []string{"DROP DATABASE IF EXISTS wp_strata", "CREATE DATABASE wp_strata", "DROP DATABASE IF EXISTS wp_direct", "CREATE DATABASE wp_direct"} {
		if err := env.primary.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	type target struct{ addr, user, password, db string }
	strata := target{global.MySQLAddr(), "app", "app", "wp_strata"}
	direct := target{fmt.Sprintf("127.0.0.1:%d", env.primary.Port), "root", "", "wp_direct"}
	request := func(to target, step, visitor string) string {
		cmd := exec.Command("php", script, wordpress, to.addr, to.user, to.password, to.db, step)
		cmd.Env = append(os.Environ(), "STRATA_WP_VISITOR="+visitor, "TMPDIR="+t.TempDir())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("WordPress %s on %s (%s): %v\n%s%s", step, to.db, to.addr, err, out, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	steps := []struct{ step, visitor string }{
		{"install", ""}, {"write", ""}, {"read", ""},
		{"comment", "1"}, {"read", ""}, {"comment", "2"}, {"read", ""},
		{"delete", ""}, {"read", ""},
	}
	var replicaRows int64
	for i, s := range steps {
		before := wpReplicaRowsRead(t)
		viaStrata := request(strata, s.step, s.visitor)
		after := wpReplicaRowsRead(t)
		if s.step == "read" {
			replicaRows += after - before
		}
		if got := request(direct, s.step, s.visitor); got != viaStrata {
			t.Errorf("step %d (%s) differs\nthrough Strata: %s\ndirect:         %s", i, s.step, viaStrata, got)
		}
		if s.step == "read" && i == len(steps)-1 {
			for _, want := range []string{`"Visitor 1: Does it keep my comment? #1","Visitor 2: Does it keep my comment? #2"`, `"home":{"titles":["Hello world!","Post 10: replicas for reads"`, `"found":11`, `"transient":false`, `"editors":[]`, `"login":false`} {
				if !strings.Contains(viaStrata, want) {
					t.Errorf("the last page read through Strata lacks %s:\n%s", want, viaStrata)
				}
			}
		}
	}
	if replicaRows == 0 {
		t.Errorf("no row of wp_strata was read on a replica: WordPress's reads must go to replicas")
	}
}

// wpReplicaRowsRead is the rows of wp_strata's tables the replicas read,
// by their own counters (userstat).
func wpReplicaRowsRead(t *testing.T) int64 {
	var sum int64
	for _, r := range env.replicas {
		v, err := r.QueryValue(ctxFor(t), "SELECT COALESCE(SUM(ROWS_READ), 0) FROM information_schema.TABLE_STATISTICS WHERE TABLE_SCHEMA = 'wp_strata'")
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("rows read on %d: %q", r.Port, v)
		}
		sum += n
	}
	return sum
}
