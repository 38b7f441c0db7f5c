package test

import (
	"fmt"
	"strings"
	"testing"
)

// A driver workload script (test/node, test/python) runs a part ("read"
// or "write") of a blog's page loads against host:port and returns what
// it printed.
type workloadRun func(host, port, user, pass, part string) string

// checkWorkloadReads runs the read part through Strata and directly on
// the primary: the answers must be the same, hold each of wants, and come
// from the replicas (by the servers' own counters of prefix's entries
// table). It returns what the part printed through Strata.
func checkWorkloadReads(t *testing.T, run workloadRun, prefix string, wants ...string) string {
	t.Helper()
	h, p := strataHostPort()
	primary0, replicas0 := readsByServer(t, prefix+"entries")
	viaStrata := run(h, p, "app", "app", "read")
	primary1, replicas1 := readsByServer(t, prefix+"entries")
	direct := run("127.0.0.1", fmt.Sprint(env.primary.Port), "root", "", "read")
	if viaStrata != direct {
		t.Errorf("answers differ\nvia Strata:\n%s\ndirect:\n%s", viaStrata, direct)
	}
	for _, want := range wants {
		if !strings.Contains(viaStrata, want) {
			t.Errorf("%s missing from the answers through Strata:\n%s", want, viaStrata)
		}
	}
	if primary1 != primary0 {
		t.Errorf("the primary read %d rows of %sentries: autocommit reads must go to replicas", primary1-primary0, prefix)
	}
	if sum(replicas1) == sum(replicas0) {
		t.Errorf("the replicas read no rows of %sentries", prefix)
	}
	return viaStrata
}

// checkWorkloadWrites runs the write part through Strata: it must end
// "ok" and count want rows of its own (comments whose body starts with
// mark), which must be on the primary, with none it rolled back.
func checkWorkloadWrites(t *testing.T, run workloadRun, prefix, mark, want string) {
	t.Helper()
	h, p := strataHostPort()
	out := run(h, p, "app", "app", "write")
	if !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("writes: %s", out)
	}
	if !strings.Contains(out, "rows "+want+"\n") {
		t.Errorf("the driver counted %q rows of its own, want %s", out, want)
	}
	n, err := env.primary.QueryValue(ctxFor(t), fmt.Sprintf("SELECT COUNT(*) FROM blog.%scomments WHERE body LIKE '%s %%'", prefix, mark))
	if err != nil || n != want {
		t.Errorf("rows written through Strata on the primary: %s (%v), want %s", n, err, want)
	}
	if n, _ := env.primary.QueryValue(ctxFor(t), fmt.Sprintf("SELECT COUNT(*) FROM blog.%scomments WHERE body LIKE 'rolled back%%'", prefix)); n != "0" {
		t.Errorf("%s rolled-back rows on the primary", n)
	}
}
