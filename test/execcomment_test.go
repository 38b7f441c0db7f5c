package test

import (
	"testing"

	"github.com/strata-proxy/strata/test/testenv"
)

// MariaDB runs what /*M! ... */ holds. mariadb-dump wraps session settings
// in it; replayed through Strata, the user variable they set and the
// setting itself must stay with the session, and a FOR UPDATE in one is
// a locking read, for the primary.
func TestMariaDBExecutableComments(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.exec_comment (id INT PRIMARY KEY)", "INSERT INTO blog.exec_comment VALUES (1)")
	db := openStrata(t)
	ctx := ctxFor(t)
	conn := testenv.Conn(t, db)
	initial := queryStrings(t, conn, "SELECT @@note_verbosity")
	if _, err := conn.ExecContext(ctx, "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ { // reads that may go to any replica
		if got := queryStrings(t, conn, "SELECT @@note_verbosity"); len(got) != 1 || got[0] != "" {
			t.Fatalf("after mariadb-dump's /*M! SET NOTE_VERBOSITY=0 */: @@note_verbosity = %q, want empty", got)
		}
	}
	if _, err := conn.ExecContext(ctx, "/*M!100616 SET NOTE_VERBOSITY=@OLD_NOTE_VERBOSITY */"); err != nil {
		t.Fatalf("restoring note_verbosity from the user variable: %v", err)
	}
	if got := queryStrings(t, conn, "SELECT @@note_verbosity"); len(got) != 1 || len(initial) != 1 || got[0] != initial[0] {
		t.Fatalf("@@note_verbosity after the restore = %q, want %q", got, initial)
	}

	before, _ := readsByServer(t, "exec_comment")
	if got := queryStrings(t, db, "SELECT id FROM exec_comment WHERE id = 1 /*M! FOR UPDATE */"); len(got) != 1 {
		t.Fatalf("the locking read: %v", got)
	}
	if after, _ := readsByServer(t, "exec_comment"); after == before {
		t.Errorf("SELECT ... /*M! FOR UPDATE */ did not run on the primary")
	}
}
