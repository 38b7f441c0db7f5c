package test

import (
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
	done := make(chan error, 1)
	go func() {
		_, err := writer.ExecContext(ctx, "INSERT INTO read_locked VALUES ()")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a write under another session's global read lock returned at once (%v); it must wait for UNLOCK TABLES", err)
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := backup.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the write after UNLOCK TABLES: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the write still waits after UNLOCK TABLES: the lock was left on a connection")
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
	done := make(chan error, 1)
	go func() {
		_, err := writer.ExecContext(ctx, "INSERT INTO backed_up VALUES ()")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a commit under BACKUP STAGE BLOCK_COMMIT returned at once (%v); it must wait for BACKUP STAGE END", err)
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := backup.ExecContext(ctx, "BACKUP STAGE END"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the write after BACKUP STAGE END: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the write still waits after BACKUP STAGE END")
	}
}
