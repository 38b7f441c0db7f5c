package sharding

import "testing"

// ENUM and SET columns merged over shards sort as one server sorts them:
// by member number (a SET by its bits), not by their text, which is all
// a result carries. Strata reads the members from the shards' schema
// with the collations. Before, ORDER BY e merged the shards' rows by
// text: another order, silently, or, where a shard's own order showed
// it, an error after some rows.
func TestEnumAndSetColumnsSortByMember(t *testing.T) {
	strataDB(t) // the data and the shards
	ddl := "CREATE TABLE IF NOT EXISTS blog.enum_rows (id INT PRIMARY KEY, e ENUM('zeta','alpha','mid') NULL, st SET('b','a','c') NULL)"
	db, reference := ownModuloTable(t, ddl, "enum_rows", "e")
	rows := []struct {
		e, st any
	}{{"zeta", "a"}, {"alpha", "b"}, {"mid", "a,b"}, {"alpha", nil}, {"zeta", "b"}, {nil, "a"}, {"mid", ""}, {"alpha", "c"}, {"mid", "a,c"}, {"zeta", "b,c"}, {"alpha", "a,b,c"}, {"mid", "c"}}
	for i, r := range rows {
		if _, err := db.Exec("INSERT INTO enum_rows (id, e, st) VALUES (?, ?, ?)", i+1, r.e, r.st); err != nil {
			t.Fatal(err)
		}
		if _, err := reference.Exec("INSERT INTO enum_rows (id, e, st) VALUES (?, ?, ?)", i+1, r.e, r.st); err != nil {
			t.Fatal(err)
		}
	}
	sameRows(t, db, reference,
		"SELECT id, e FROM enum_rows ORDER BY e, id",
		"SELECT id FROM enum_rows ORDER BY e DESC, id LIMIT 5",
		"SELECT e, COUNT(*) FROM enum_rows GROUP BY e ORDER BY e",
		"SELECT DISTINCT e FROM enum_rows ORDER BY e DESC",
		"SELECT id, st FROM enum_rows ORDER BY st, id",
		"SELECT st, COUNT(*) FROM enum_rows GROUP BY st ORDER BY st DESC",
		"SELECT MIN(e), MAX(e), MIN(st), MAX(st) FROM enum_rows", // these compare text, on one server too
		"SELECT id FROM enum_rows ORDER BY CAST(e AS CHAR), id",
		"SELECT id FROM enum_rows ORDER BY e+0 DESC, id",
	)
}
