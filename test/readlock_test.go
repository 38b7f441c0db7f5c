package test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// FLUSH TABLES WITH READ LOCK (a backup recipe: lock, copy, UNLOCK
// TABLES) holds the lock on its connection until UNLOCK TABLES: the
// session keeps that connection, so another client's write waits for the
// unlock, as on the server, instead of running on the locked connection
// (error 1223) — and UNLOCK TABLES releases the lock it took.
func TestGlobalReadLockStaysWithItsSession(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.read_locked (id INT AUTO_INCREMENT PRIMARY KEY)")
	db := openSmallStrata(t, 2)
	ctx := ctxFor(t)
	backup, writer := testenv.Conn(t, db), testenv.Conn(t, db)
	if _, err := backup.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
		t.Fatal(err)
	}
	writeWaitsFor(t, writer, "INSERT INTO read_locked VALUES ()", backup, "UNLOCK TABLES")
}

// writeWaitsFor runs write on writer while holder holds a lock: the
// write must wait, and finish once holder runs unlock.
func writeWaitsFor(t *testing.T, writer *sql.Conn, write string, holder *sql.Conn, unlock string) {
	t.Helper()
	ctx := ctxFor(t)
	done := make(chan error, 1)
	go func() {
		_, err := writer.ExecContext(ctx, write)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a write under another session's lock returned at once (%v); it must wait for %s", err, unlock)
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := holder.ExecContext(ctx, unlock); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the write after %s: %v", unlock, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the write still waits after %s: the lock was left on a connection", unlock)
	}
}

// MariaDB's BACKUP STAGE (what a backup tool runs: START, FLUSH,
// BLOCK_DDL, BLOCK_COMMIT, END) keeps its locks on its connection: every
// stage must reach the connection that ran START, and another client's
// commit waits for END, as on the server.
func TestBackupStagesStayWithTheirSession(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.backed_up (id INT AUTO_INCREMENT PRIMARY KEY)")
	db := openSmallStrata(t, 2)
	ctx := ctxFor(t)
	backup, writer := testenv.Conn(t, db), testenv.Conn(t, db)
	for _, stage := range []string{"START", "FLUSH", "BLOCK_DDL", "BLOCK_COMMIT"} {
		if _, err := backup.ExecContext(ctx, "BACKUP STAGE "+stage); err != nil {
			t.Fatalf("BACKUP STAGE %s: %v", stage, err)
		}
	}
	writeWaitsFor(t, writer, "INSERT INTO backed_up VALUES ()", backup, "BACKUP STAGE END")
}
