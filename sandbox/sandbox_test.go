package sandbox

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
)

// Ports of the integration test; other packages' tests must not use them.
const testConfig = `
users: [{name: app, password: app}]
backend: {user: strata, password: "str'ata"}
clusters:
  main:
    primary: 127.0.0.1:23306
    replicas: [{address: 127.0.0.1:23307}]
`

// requireMariaDB skips when MariaDB is missing, unless STRATA_REQUIRE_MARIADB
// is set (CI sets it), where a missing server is a failure.
func requireMariaDB(t *testing.T) {
	t.Helper()
	if MariaDBInstalled() {
		return
	}
	if os.Getenv("STRATA_REQUIRE_MARIADB") != "" {
		t.Fatal("mariadbd not found and STRATA_REQUIRE_MARIADB is set: run make deps")
	}
	t.Skip("mariadbd not installed (make deps installs it)")
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestPrimaryReplicaLifecycle(t *testing.T) {
	requireMariaDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cfg, err := config.Parse([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Dir: t.TempDir() + "/sandbox", KillWithParent: true, Log: testLog{t}}

	start := time.Now()
	sb, err := Up(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up took %s", time.Since(start))
	t.Cleanup(func() {
		if err := sb.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	primary, replica := sb.Server("127.0.0.1:23306"), sb.Server("127.0.0.1:23307")
	if primary == nil || replica == nil || !primary.IsPrimary() || replica.IsPrimary() {
		t.Fatalf("servers: %v %v", primary, replica)
	}

	// Root over TCP with an empty password, as the integration tests use it.
	db, err := sql.Open("mysql", primary.RootDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var userstat, qc string
	if err := db.QueryRowContext(ctx, "SELECT @@userstat, @@query_cache_type").Scan(&userstat, &qc); err != nil {
		t.Fatalf("root over TCP: %v", err)
	}
	if userstat != "1" || qc != "ON" {
		t.Errorf("userstat=%s query_cache_type=%s", userstat, qc)
	}
	// The backend account works on the replica, which is read-only for it.
	bdb, err := sql.Open("mysql", replica.DSN("strata", "str'ata", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if _, err := bdb.ExecContext(ctx, "CREATE DATABASE nope"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("backend user on replica: CREATE DATABASE error = %v, want read-only", err)
	}

	mustExec(t, primary, "CREATE DATABASE app")
	mustExec(t, primary, "CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB")
	mustExec(t, primary, "INSERT INTO app.t VALUES (1, 'one')")
	waitCount(ctx, t, sb, replica, 1)

	// A crashed replica comes back and catches up with what it missed.
	if err := replica.Kill(); err != nil {
		t.Fatal(err)
	}
	if replica.Running() {
		t.Fatal("replica still running after Kill")
	}
	mustExec(t, primary, "INSERT INTO app.t VALUES (2, 'two')")
	if err := replica.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitCount(ctx, t, sb, replica, 2)

	// A crashed primary comes back and the replica reconnects by itself.
	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, primary, "INSERT INTO app.t VALUES (3, 'three')")
	waitCount(ctx, t, sb, replica, 3)

	// A second Up on the same folder reuses the running servers.
	pid := replica.PID()
	sb2, err := Up(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	sb2.Close()
	if got := sb2.Server(replica.Addr).PID(); got != pid {
		t.Errorf("second Up restarted the replica: pid %d -> %d", pid, got)
	}

	sts := sb.Status(ctx)
	if len(sts) != 2 || !sts[0].Running || !sts[1].Replica.Running() {
		t.Errorf("status: %v", sts)
	}
	for _, st := range sts {
		t.Log(st)
	}
	if hits, err := primary.GlobalStatus(ctx, "Qcache_hits"); err != nil || hits < 0 {
		t.Errorf("Qcache_hits = %d, %v", hits, err)
	}

	ppid, rpid := primary.PID(), replica.PID()
	if err := sb.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if procAlive(ppid) || procAlive(rpid) {
		t.Error("servers still alive after Down")
	}
	if _, err := os.Stat(sb.Dir()); !os.IsNotExist(err) {
		t.Errorf("state dir not removed: %v", err)
	}
}

func mustExec(t *testing.T, s *Server, q string) {
	t.Helper()
	if err := s.Exec(t.Context(), q); err != nil {
		t.Fatal(err)
	}
}

func waitCount(ctx context.Context, t *testing.T, sb *Sandbox, replica *Server, want int) {
	t.Helper()
	if err := sb.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := replica.QueryValue(ctx, "SELECT COUNT(*) FROM app.t")
	if err != nil {
		t.Fatal(err)
	}
	if got != strconv.Itoa(want) {
		t.Fatalf("replica has %s rows, want %d", got, want)
	}
}
