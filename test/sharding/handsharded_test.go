package sharding

import (
	"fmt"
	"testing"
)

// The seed article's hand-sharded layout — comments "interlaced" over the
// shards by entry_id % 4, written by the application straight into each
// server — is read through Strata as it is, without moving a row.
func TestHandShardedModuloLayoutReadAsItIs(t *testing.T) {
	db := strataDB(t)
	defer cleanup(t, "comments", "id BETWEEN 9200000 AND 9200007")
	for i := 0; i < 8; i++ {
		entry := 9100 + i
		server := fmt.Sprintf("s%d", entry%4) // what the application computed by hand
		mustExec(t, direct[server], fmt.Sprintf("INSERT INTO blog.comments (id, entry_id, body) VALUES (%d, %d, 'by hand')", 9200000+i, entry))
	}
	for i := 0; i < 8; i++ {
		var n int
		if err := db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM comments WHERE entry_id = %d", 9100+i)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("entry %d through Strata: %d rows, %v; want its hand-placed row", 9100+i, n, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM comments WHERE body = 'by hand'").Scan(&n); err != nil || n != 8 {
		t.Fatalf("scatter over the hand-sharded rows: %d, %v; want 8", n, err)
	}
}
