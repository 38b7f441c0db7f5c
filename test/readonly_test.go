package test

import "testing"

// A client asks @@read_only before it writes (MediaWiki turns read-only on
// a 1): through Strata it talks to a server that takes writes, so the
// answer is the primary's, not the replica's that serves its reads.
func TestReadOnlyIsThePrimarys(t *testing.T) {
	t.Parallel()
	for _, r := range env.replicas {
		if got := queryStrings(t, openDirect(t, r, ""), "SELECT @@GLOBAL.read_only"); len(got) != 1 || got[0] != "1" {
			t.Fatalf("replica %s: read_only = %v; the test needs read-only replicas", r.Addr, got)
		}
	}
	db := openStrata(t)
	for _, tc := range []struct{ query, want string }{
		{"SELECT @@GLOBAL.read_only AS Value", "0"},
		{"SELECT @@read_only", "0"},
		{"SHOW GLOBAL VARIABLES LIKE 'read_only'", "read_only|OFF"},
		{"SHOW VARIABLES LIKE 'read\\_only'", "read_only|OFF"},
	} {
		for i := 0; i < 4; i++ { // reads would spread over both replicas
			if got := queryStrings(t, db, tc.query); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("%s = %v, want %s (the primary's)", tc.query, got, tc.want)
			}
		}
	}
}
